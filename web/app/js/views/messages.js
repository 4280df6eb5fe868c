// /messages, /messages/requests, /messages/{id} and the deep link /messages/compose: the
// inbox beside the open conversation. At phone width only one of the two shows.

import { get, post, q } from '../api.js';
import { app, remember, toast } from '../app.js';
import { h, icon } from '../dom.js';
import { conversationPane, drafts } from './conversation.js';
import { inboxList } from './inbox.js';
import { newMessageDialog } from './new-message.js';
import { searchResults } from './search.js';

/** How long typing in the search field pauses before it searches. */
const SEARCH_DELAY_MS = 250;

export function messagesView(initial) {
  let tab = null;
  let inbox = null;
  let pane = null;
  const counts = { primary: 0, requests: 0 };

  const tabButton = (name, label) => h('button', {
    class: 'tab', type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': 'inbox-panel',
    onclick: () => app.navigate(name === 'requests' ? '/messages/requests' : '/messages'),
  }, label, h('span', { class: 'badge', hidden: true }));
  const tabs = { primary: tabButton('primary', 'Primary'), requests: tabButton('requests', 'Requests') };
  const panel = h('div', { id: 'inbox-panel', role: 'tabpanel', class: 'conversation-list' });
  const newBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'New message', title: 'New message', onclick: () => newMessageDialog(),
  }, icon('compose'));
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Inbox' }, tabs.primary, tabs.requests);
  // Search results stand in for the tabs and their list while there is a query; the list
  // underneath stays current (and may change tab, when a result is a request).
  const results = h('div', { class: 'conversation-list', role: 'region', 'aria-label': 'Search results', hidden: true });
  const search = searchBox();
  const inboxEl = h('section', { class: 'inbox', 'aria-label': 'Inbox' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, 'Messages'), newBtn),
    search, tablist, panel, results);
  const el = h('div', { class: 'messages' }, inboxEl, emptyPane());

  // Unread conversations per box, for the tab badges and the navigation badge.
  function setCount(box, n) {
    counts[box] = n;
    const badge = tabs[box].querySelector('.badge');
    badge.hidden = n === 0;
    badge.textContent = n ? String(n) : '';
    app.setUnreadTotal?.(counts.primary + counts.requests);
  }
  // The other box's count, which the visible list does not compute.
  async function countOther(box) {
    try {
      const page = await get(`/conversations?box=${box}&limit=100`);
      setCount(box, page.conversations.filter((c) => c.unread_count > 0).length);
    } catch { /* the badge is a hint */ }
  }

  function showTab(name) {
    if (tab === name) return;
    tab = name;
    // Filtered requests are a list within the Requests tab.
    const selectedTab = name === 'filtered' ? 'requests' : name;
    for (const [n, b] of Object.entries(tabs)) b.setAttribute('aria-selected', String(n === selectedTab));
    inbox?.destroy();
    inbox = inboxList({
      box: name,
      onUnread: (n) => name !== 'filtered' && setCount(name, n),
    });
    panel.setAttribute('aria-labelledby', `tab-${selectedTab}`);
    panel.replaceChildren(inbox.el);
    inbox.select(pane?.id || null);
    inbox.load().catch((e) => toast(e.message, 'error'));
    if (name !== 'primary') countOther('primary');
    if (name !== 'requests') countOther('requests');
  }

  function openPane(next) {
    pane?.destroy();
    pane = next;
    const holder = pane ? pane.el : emptyPane();
    el.replaceChild(holder, el.children[1]);
    el.classList.toggle('open', Boolean(pane));
    inbox?.select(pane?.id || null);
  }

  // Searching shows results in place of the list; clearing the field brings the list back.
  function searchBox() {
    let timer = null;
    let shown = '';
    const input = h('input', {
      type: 'search', class: 'input', autocomplete: 'off', placeholder: 'Search Direct Messages', 'aria-label': 'Search Direct Messages',
      enterkeyhint: 'search', maxlength: '200',
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(show, SEARCH_DELAY_MS);
      },
      onkeydown: (e) => {
        if (e.key === 'Enter') {
          clearTimeout(timer);
          show();
        } else if (e.key === 'Escape' && input.value) {
          e.preventDefault();
          clear();
        }
      },
    });
    function show() {
      const query = input.value.trim();
      if (query === shown) return;
      shown = query;
      tablist.hidden = panel.hidden = Boolean(query);
      results.hidden = !query;
      results.replaceChildren(...(query ? [searchResults(query).el] : []));
    }
    function clear() {
      clearTimeout(timer);
      input.value = '';
      show();
    }
    return h('div', { class: 'inbox-search', role: 'search' }, input);
  }

  function emptyPane() {
    document.title = 'Messages · Postern';
    return h('section', { class: 'pane' }, h('div', { class: 'pane-empty' },
      h('h2', {}, 'Select a message'),
      h('p', { class: 'muted' }, 'Choose from your existing conversations, start a new one, or just keep swimming.'),
      h('button', { class: 'btn accent big', type: 'button', onclick: () => newMessageDialog() }, 'New message')));
  }

  /**
   * A deep link: `recipient_id=` or `screen_name=`, optionally `welcome_message_id=` and
   * `text=`. A business greets with its welcome message (the chosen one, or its default when
   * this is a first contact).
   */
  async function compose(params) {
    const byId = params.get('recipient_id');
    const byName = params.get('screen_name');
    const text = params.get('text') || '';
    const chosen = params.get('welcome_message_id');
    // Reply privately: the conversation starts from this post ("Switch to DM").
    const postId = params.get('post_id');
    const aboutPost = postId && /^\d{1,19}$/.test(postId)
      ? await get(`/posts/${q(postId)}`).catch(() => null) : null;
    // A DM card's button: the first message says it came from the card.
    const fromCard = /^\d{1,19}$/.test(params.get('card_id') || '') ? params.get('card_id') : null;
    // Where the link was (a DM link, a post's button): counted in the account's insights.
    const source = ['deep_link', 'post_button'].includes(params.get('source')) ? params.get('source') : null;
    const valid = byId ? /^\d+$/.test(byId) : /^@?[A-Za-z0-9_]{1,15}$/.test(byName || '');
    if (!valid) {
      toast('That link names no one: it needs a recipient_id or a screen_name.', 'error');
      return app.navigate('/messages', { replace: true });
    }
    if (chosen !== null && !/^\d{1,19}$/.test(chosen)) {
      return openPane(notice('This link can’t be opened', 'Its welcome_message_id is not a welcome message id.'));
    }
    let recipient;
    try {
      recipient = remember(await get(byId ? `/users/${q(byId)}` : `/users/by/screen_name/${q(byName.replace(/^@/, ''))}`));
    } catch (e) {
      // Said where the conversation would have been, not in a toast that passes.
      return openPane(notice(e.status === 404 ? 'That account doesn’t exist' : 'This link can’t be opened',
        e.status === 404 ? 'The link you followed names no one on Postern. It may have been mistyped, or the account is gone.' : e.message));
    }
    const recipientId = recipient.id;
    if (recipientId === app.me.id) {
      toast('That link would message yourself.', 'error');
      return app.navigate('/messages', { replace: true });
    }
    // The conversation if there is one, as the server would start it if not (no 404 for a
    // conversation that does not exist yet); a pair that may not write gets the empty pane,
    // which says why.
    const permission = await get(`/users/${q(recipientId)}/dm_permission`).catch(() => ({ allowed: true }));
    const c = permission.allowed
      ? await post('/conversations', { participant_ids: [recipientId] }).catch(() => null)
      : null;
    let welcome = null;
    if (permission.allowed) {
      try {
        welcome = await get(`/users/${q(recipientId)}/welcome_message${chosen ? `?welcome_message_id=${chosen}` : ''}`);
      } catch (e) {
        return openPane(notice('This link can’t be opened', e.status === 404
          ? `The welcome message it names isn’t one of ${recipient.name}’s. It may have been deleted.` : e.message));
      }
    }
    if (c?.last_message) {
      if (text) drafts.set(c.id, text);
      if (!welcome && !aboutPost) return app.navigate(`/messages/${c.id}`, { replace: true });
      return openPane(conversationPane({ id: c.id, recipient, welcome, aboutPost, fromCard, source, onChange: () => inbox?.refresh() }));
    }
    if (text) drafts.set(`new:${recipient.id}`, text);
    openPane(conversationPane({ recipient, welcome, aboutPost, fromCard, source, onChange: () => inbox?.refresh() }));
  }

  function notice(heading, text) {
    document.title = `${heading} · Postern`;
    return { el: h('section', { class: 'pane', 'aria-label': 'Conversation' }, h('div', { class: 'pane-empty', role: 'alert' },
      h('h2', {}, heading),
      h('p', { class: 'muted' }, text),
      h('a', { class: 'btn big', href: '/messages' }, 'Back to messages'))), id: null, destroy() {} };
  }

  function update(r) {
    if (r.conversation) {
      const box = tab || 'primary';
      showTab(box);
      if (pane?.id !== r.conversation) {
        openPane(conversationPane({
          id: r.conversation,
          // A search result opens its conversation at the message.
          message: r.message,
          onChange: () => inbox?.refresh(),
          // A request opened by its address shows beside the Requests tab.
          onBox: showTab,
        }));
      } else if (r.message) {
        pane.showMessage(r.message);
      }
    } else {
      showTab(r.tab);
      if (r.compose) compose(r.compose);
      else openPane(null);
    }
  }

  const unsubscribe = app.stream.on((frame) => {
    pane?.handle?.(frame);
    const box = frame.data?.box;
    if (frame.type === 'conversation.created' && box && box !== tab) countOther(box);
  });

  update(initial);
  return {
    el,
    update,
    destroy() {
      unsubscribe();
      inbox?.destroy();
      pane?.destroy();
    },
  };
}
