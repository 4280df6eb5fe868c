// The conversation list: pinned first, then by last activity, with unread badges and the
// last message. It keeps itself current from the store (store.js), which refetches the one
// conversation an event touched (the server's view of unread counts and boxes is the truth).

import { get } from '../api.js';
import { app, avatar, remember } from '../app.js';
import { h, icon, shortTime } from '../dom.js';
import { keyedList } from '../ui/keyed.js';
import { snippet } from '../ui/text.js';

/** Boxes whose conversations wait for the person to accept them. */
export const isRequest = (box) => box === 'requests' || box === 'filtered';

export function conversationTitle(c) {
  if (c.name) return c.name;
  const others = c.participants.filter((p) => p.id !== app.me.id);
  if (!others.length) return 'Just you';
  return others.map((p) => p.name).join(', ');
}

/** The conversation's picture: the other person, or two of a group's members. */
export function conversationPicture(c) {
  const others = c.participants.filter((p) => p.id !== app.me.id);
  return others.length <= 1 ? avatar(others[0] || app.me) : h('span', { class: 'avatar-stack' }, others.slice(0, 2).map((u) => avatar(u)));
}

const LIST_LABEL = { primary: 'Conversations', requests: 'Message requests', filtered: 'Filtered message requests' };
const EMPTY = {
  primary: ['Welcome to your inbox!', 'Start a conversation with people you follow, or open a profile and press Message.'],
  requests: ['No message requests', 'Messages from people you don’t follow appear here. They won’t know you’ve seen them until you accept.'],
  filtered: ['No filtered requests', 'Requests that look like spam are set aside here while the quality filter is on (Settings).'],
};

function order(a, b) {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  return b.last_activity_at.localeCompare(a.last_activity_at);
}

function lastLine(c) {
  const m = c.last_message;
  if (!m) return isRequest(c.box) ? 'New message request' : 'No messages yet';
  if (m.type !== 'message') return m.type === 'participants_join' ? 'People were added' : 'Someone left';
  const who = m.sender_id === app.me.id ? 'You: ' : c.type === 'group' ? `${app.users.get(m.sender_id)?.name || ''}: ` : '';
  return who + snippet(m);
}

/** The conversations of `box`, kept current by the store. */
export function inboxList({ box, onUnread }) {
  const items = new Map(); // id -> conversation
  let selected = null;
  let loaded = false;
  const list = h('ul', { class: 'conversation-list', 'aria-label': LIST_LABEL[box] });

  async function load() {
    const page = await get(`/conversations?box=${box}&limit=100`);
    items.clear();
    for (const c of page.conversations) {
      c.participants.forEach(remember);
      items.set(c.id, c);
    }
    loaded = true;
    render();
  }

  // Keyed rows: an event redraws the one conversation it touched (a refetched conversation
  // is a new object), not the list.
  const renderRows = keyedList(list, buildRow, (a, b) => a.c === b.c && a.selected === b.selected
    && a.unread === b.unread && a.time === b.time);

  function buildRow(row) {
    if (row.key === 'empty') return h('li', { class: 'empty' }, EMPTY[box].map((text, i) => h(i ? 'p' : 'h2', {}, text)));
    // Requests the quality filter set aside are one step away, as on Twitter.
    if (row.key === 'foot') {
      return box === 'requests'
        ? h('li', { class: 'list-foot' }, h('a', { href: '/messages/filtered' }, 'Show filtered requests'))
        : h('li', { class: 'list-foot' }, h('a', { href: '/messages/requests' }, 'Back to requests'));
    }
    return item(row.c);
  }

  function render() {
    const sorted = [...items.values()].sort(order);
    const rows = sorted.map((c) => ({
      key: c.id, c, selected: c.id === selected, unread: unreadCount(c), time: shortTime(c.last_activity_at),
    }));
    if (!sorted.length && loaded) rows.push({ key: 'empty' });
    if (box === 'requests' || box === 'filtered') rows.push({ key: 'foot' });
    renderRows(rows);
    onUnread?.(sorted.filter((c) => unreadCount(c) > 0 && !c.muted).length);
  }

  // The open conversation is being read: its badge would only flicker until the read lands.
  function unreadCount(c) {
    return c.id === selected && !isRequest(c.box) ? 0 : c.unread_count;
  }

  function item(c) {
    const others = c.participants.filter((p) => p.id !== app.me.id);
    const unread = unreadCount(c) > 0;
    const name = conversationTitle(c);
    const label = `${name}${unread ? `, ${unreadCount(c)} unread` : ''}${c.pinned ? ', pinned' : ''}${c.muted ? ', muted' : ''}. ${lastLine(c)}`;
    return h('li', {},
      h('a', {
        class: `conv-item ${unread ? 'unread' : ''}`, href: `/messages/${c.id}`, 'aria-label': label,
        'aria-current': c.id === selected ? 'page' : null, dataset: { conversation: c.id },
      },
      conversationPicture(c),
      h('div', { class: 'body' },
        h('div', { class: 'top' },
          h('span', { class: 'name' }, name),
          others.length === 1 && c.type === 'one_to_one' && h('span', { class: 'handle' }, `@${others[0].screen_name}`),
          h('time', { datetime: c.last_activity_at }, shortTime(c.last_activity_at))),
        h('div', { class: 'top' },
          h('div', { class: 'snippet grow' }, lastLine(c)),
          h('span', { class: 'flags' },
            c.pinned && h('span', { title: 'Pinned' }, icon('pin')),
            c.muted && h('span', { title: 'Muted' }, icon('bellOff')),
            unread && h('span', { class: 'badge' }, unreadCount(c) > 99 ? '99+' : String(unreadCount(c))))))));
  }

  // The store tells this list of every conversation it learns about: each is filed in or out
  // of this box; a reconnect reloads the box, as anything may have changed while away.
  const unsubscribe = app.store.subscribe((change) => {
    if (change.type === 'ready') {
      if (loaded) load().catch(() => {});
      return;
    }
    if (change.type === 'conversation') {
      const c = change.conversation;
      if (c.box === box && !c.archived) items.set(c.id, c);
      else items.delete(c.id);
    } else if (change.type === 'conversation.gone') {
      items.delete(change.id);
    } else {
      return;
    }
    render();
  });

  return {
    el: list,
    load,
    destroy: unsubscribe,
    select(id) {
      selected = id;
      if (loaded) render();
    },
    refresh: () => load().catch(() => {}),
  };
}
