// The conversation pane: header, a timeline that loads older history as you scroll up, the
// typing indicator, and the composer (or, for a message request, Accept / Delete / Block /
// Report). Stream frames for this conversation arrive through handle().

import { del, get, limits, patch, post, put, q } from '../api.js';
import { app, attempt, avatar, remember, toast } from '../app.js';
import { dayLabel, h, icon } from '../dom.js';
import { composer } from '../ui/composer.js';
import { confirmDialog, reportDialog } from '../ui/dialog.js';
import { openEmojiPicker, QUICK_REACTIONS } from '../ui/emoji.js';
import { messageElement } from '../ui/message.js';
import { messageExtras } from '../ui/extras.js';
import { keyedList } from '../ui/keyed.js';
import { welcomeElement } from '../ui/welcome.js';
import { controlBar } from '../ui/control.js';
import { surveyDialog } from './survey-dialog.js';
import { authorOf, postElement } from '../ui/post.js';
import { supportHours } from '../ui/support.js';
import { closePopover, openMenu, popoverAnchor, reanchorPopover } from '../ui/popover.js';
import { addPeopleDialog, membersDialog, renameDialog } from './group.js';
import { conversationTitle, isRequest } from './inbox.js';
import { refusalFor, refusalNotice } from './permission.js';
import { sameRow, timelineRows, userName } from './timeline.js';

const PAGE = 50;
// A jump to an old message (from search) goes back in the largest pages the server gives.
const SEEK_PAGE = 100;
const TYPING_SHOWN_MS = 6000;
const TYPING_SENT_EVERY_MS = 3000;
// Drafts by conversation (or `new:USER_ID`), kept while the page is open.
export const drafts = new Map();

/**
 * `{ id }` opens a conversation; `{ recipient }` starts a 1:1 that does not exist yet;
 * `welcome` (with the `recipient` it is from) is the business's welcome message to greet
 * with before the first message; `aboutPost`, the post the first message moves to DMs;
 * `fromCard`, the DM card whose button opened it; `source`, the kind of link that did.
 */
export function conversationPane({ id, recipient, message, onChange, onBox, welcome, aboutPost, fromCard, source }) {
  let conversation = null;
  let events = []; // oldest first, as the store has them
  let olderCursor = null;
  let olderLoad = null; // the older page being loaded, if one is
  let olderError = null; // why the last older page failed to load, until one loads
  let lastTypingSent = 0;
  const typers = new Map(); // user id -> timeout
  const draftKey = id || `new:${recipient.id}`;

  const title = h('div', { class: 'title grow' });
  const menuBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'Conversation options', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', onclick: () => conversationMenu(menuBtn),
    // Until the conversation has loaded there is nothing to offer: a tap then did nothing.
    disabled: true,
  }, icon('info'));
  const head = h('header', { class: 'page-head conv-head' },
    h('a', { class: 'icon-btn back', href: '/messages', 'aria-label': 'Back to messages' }, icon('back')),
    title, id && menuBtn);
  const status = h('p', { class: 'timeline-status' });
  const list = h('ol', { class: 'timeline-list' });
  const renderRows = keyedList(list, (row) => buildRow(row), sameRow, { chunk: 50 });
  // The welcome message, until the first message sent from it records it.
  let greeting = welcome || null;
  const greetingEl = greeting
    ? welcomeElement(greeting, recipient, (option) => answer(option))
    : null;
  // Reply privately: the post this conversation is about, until the first message says so.
  let about = aboutPost || null;
  // A DM card's button opened this: the first message says so.
  let card = fromCard || null;
  let from = source || null;
  const aboutEl = about ? h('div', { class: 'about-post' }, h('p', { class: 'muted' }, 'Replying privately to')) : null;
  if (about) authorOf(about).then((a) => aboutEl.append(postElement(about, a, { compact: true })), () => {});
  const timeline = h('div', { class: 'timeline', role: 'log', 'aria-label': 'Messages', tabindex: '0' }, status, list, greetingEl, aboutEl);
  // A business answers as one of its custom profiles, with quick replies and buttons.
  const extras = app.me.support?.enabled
    ? messageExtras({ oneToOne: () => !id || conversation?.type !== 'group' })
    : null;
  const typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  const footer = h('div', {});
  // A support account's one-to-one conversation: its bot or one of its people answers.
  const control = app.me.support?.enabled && id?.includes('-') ? controlBar(id) : null;
  const el = h('section', { class: 'pane', 'aria-label': 'Conversation' }, head, control?.el, timeline, typing, footer);

  const input = composer({
    send: sendMessage,
    tools: extras?.tool,
    strip: extras?.strip,
    edit: async (m, text) => {
      const edited = await patch(`/conversations/${q(m.conversation_id)}/messages/${m.id}`, { text });
      app.store.reduce({ type: 'event', id, event: { type: 'message', ...edited } });
      return edited;
    },
    typing: sendTyping,
    draft: () => drafts.get(draftKey) || '',
    saveDraft: (text) => (text ? drafts.set(draftKey, text) : drafts.delete(draftKey)),
    // A send the recipient's rules refused: the composer gives way to why.
    refused: async () => {
      await checkPermission();
      mountFooter();
    },
  });

  // When the timeline shrinks (a reply banner, a preview, a longer draft), the newest
  // messages stay in view if they were.
  let atEnd = true;
  timeline.addEventListener('scroll', () => {
    atEnd = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
    if (timeline.scrollTop < 200) loadOlder();
  });
  new ResizeObserver(() => {
    if (atEnd) timeline.scrollTop = timeline.scrollHeight;
  }).observe(timeline);
  // Scrolling to the end needs the page laid out. Done in the next frame, it takes the layout
  // the frame does anyway, once however many messages arrived, instead of forcing one per
  // message: in a long conversation each layout is thousands of rows.
  let pinning = 0;
  function scrollToEnd() {
    pinning ||= requestAnimationFrame(() => {
      pinning = 0;
      timeline.scrollTop = timeline.scrollHeight;
    });
  }

  async function load() {
    if (!id) {
      renderHeader([recipient]);
      status.textContent = `This is the start of your conversation with ${recipient.name}.`;
      await checkPermission();
      mountFooter();
      return;
    }
    status.textContent = 'Loading…';
    try {
      const [c, page] = await Promise.all([
        get(`/conversations/${q(id)}`),
        get(`/conversations/${q(id)}/events?limit=${PAGE}`),
      ]);
      conversation = c;
      menuBtn.disabled = false;
      onBox?.(c.box);
      c.participants.forEach(remember);
      olderCursor = page.next_cursor || null;
      renderHeader(c.participants.filter((p) => p.id !== app.me.id));
      app.store.reduce({ type: 'events.page', id, events: page.events });
      await checkPermission();
      mountFooter();
      timeline.scrollTop = timeline.scrollHeight;
      markRead();
    } catch (e) {
      status.textContent = e.status === 404 ? 'This conversation doesn’t exist or you’re not in it.' : e.message;
    }
  }

  function renderHeader(others) {
    const name = conversation ? conversationTitle(conversation) : recipient.name;
    // A support account says whether it is open now, where a person would otherwise see
    // its handle.
    const hours = others.length === 1 ? supportHours(others[0].support) : null;
    const sub = others.length === 1 ? (hours ? `Provides support · ${hours}` : `@${others[0].screen_name}`) : `${others.length + 1} people`;
    const pic = others.length === 1 ? avatar(others[0], 'small') : h('span', { class: 'avatar-stack' }, others.slice(0, 2).map((u) => avatar(u)));
    const label = h('span', {}, h('strong', {}, name), h('small', {}, sub));
    title.replaceChildren(others.length === 1
      ? h('a', { class: 'title', href: `/${others[0].screen_name}` }, pic, label)
      : h('div', { class: 'title' }, pic, label));
    document.title = `${name} · Postern`;
  }

  // Whether the person may write here, asked before they type: in a one-to-one whose other
  // person does not take their messages, the composer gives way to why.
  let refusal = null;
  async function checkPermission() {
    const other = recipient
      || (conversation?.type === 'one_to_one' && !isRequest(conversation.box)
        ? conversation.participants.find((p) => p.id !== app.me.id) : null);
    refusal = other ? await refusalFor(other) : null;
  }

  function mountFooter() {
    if (refusal) {
      footer.replaceChildren(refusalNotice(refusal));
      return;
    }
    if (conversation && isRequest(conversation.box)) {
      const from = conversation.participants.find((p) => p.id !== app.me.id);
      footer.replaceChildren(h('div', { class: 'request-bar', role: 'region', 'aria-label': 'Message request' },
        h('p', {}, conversation.type === 'group'
          ? 'You were added to this group by someone you don’t follow. Accept to reply and see read receipts.'
          : `${from ? from.name : 'Someone'} wants to message you. They won’t know you’ve seen it until you accept.`),
        h('div', { class: 'buttons' },
          h('button', { class: 'btn accent', type: 'button', onclick: accept }, 'Accept'),
          h('button', { class: 'btn', type: 'button', onclick: removeConversation }, 'Delete'),
          from && h('button', { class: 'btn danger', type: 'button', onclick: () => block(from) }, `Block @${from.screen_name}`),
          h('button', { class: 'btn danger', type: 'button', onclick: () => reportRequest(from) }, 'Report'))));
      return;
    }
    footer.replaceChildren(input.el);
    input.focus();
  }

  // ---- timeline ----

  function buildRow(row) {
    const { e } = row;
    if (row.kind === 'day') return h('li', { class: 'day', role: 'none' }, dayLabel(e.created_at));
    if (row.kind === 'system') return h('li', { class: 'system-event', id: `m-${e.id}` }, row.text);
    return messageElement(e, {
      showSender: row.showSender,
      sender: app.users.get(e.sender_id),
      quoted: row.quoted,
      quotedSender: row.quotedSender,
      seen: row.seen,
      showTime: row.showTime,
      prompt: row.prompt,
      onQuickReply: (option) => answer(option),
      onSurvey: (score, text) => answerSurvey(e, score, text),
      onReact: (button) => reactionPicker(button, e),
      onReply: () => input.replyTo(e, userName(e.sender_id)),
      onMore: (button) => messageMenu(button, e),
      onToggleReaction: (emoji) => toggleReaction(e, emoji),
      onQuote: () => showMessage(e.reply_to_id),
    });
  }

  // Rows whose event and context are unchanged stay the same elements (keeping focus and
  // an open menu's anchor); a row that is drawn anew takes the focus, and the menu, of the
  // control it replaces, so a keyboard user is not thrown back to the top of the page.
  function renderAll() {
    const rows = timelineRows(conversation, events);
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const anchor = popoverAnchor();
    renderRows(rows);
    if (focused && !focused.isConnected) counterpart(focused)?.focus({ preventScroll: true });
    if (anchor && !anchor.isConnected) {
      const moved = counterpart(anchor);
      if (moved) reanchorPopover(moved);
    }
    status.textContent = olderError
      ?? (olderCursor ? 'Scroll up for older messages' : (events.length ? 'This is the beginning of the conversation.' : 'No messages yet. Say hi!'));
  }

  /** The control labelled as `el` in the rendered row of `el`'s message, if there is one. */
  function counterpart(el) {
    const row = el.closest('.msg');
    const label = el.getAttribute('aria-label');
    if (!row || !label) return null;
    return list.querySelector(`#${CSS.escape(row.id)} [aria-label="${CSS.escape(label)}"]`);
  }

  // A seek to an old message loads page after page, then draws once.
  let seeking = false;

  /**
   * The events as the store now has them: drawn, and the view kept at the end if it was there
   * or if this is a new message of mine.
   */
  function eventsChanged(fresh) {
    const newest = events[events.length - 1];
    events = fresh;
    if (seeking) return;
    renderAll();
    const now = events[events.length - 1];
    if (now && now !== newest && (atEnd || (now.sender_id === app.me.id && newest?.id !== now.id))) scrollToEnd();
  }

  /**
   * Loads the page before the oldest shown; whether it loaded. Callers share a load in flight.
   * While `seeking` (a jump to an old message) it takes the largest pages and leaves the
   * drawing to the seek, which draws once when it arrives rather than once per page.
   */
  function loadOlder() {
    if (!olderCursor) return Promise.resolve(false);
    olderLoad ??= (async () => {
      status.textContent = 'Loading older messages…';
      try {
        const limit = seeking ? SEEK_PAGE : PAGE;
        const page = await get(`/conversations/${q(id)}/events?limit=${limit}&cursor=${q(olderCursor)}`);
        const before = timeline.scrollHeight - timeline.scrollTop;
        olderCursor = page.next_cursor || null;
        olderError = null;
        app.store.reduce({ type: 'events.page', id, events: page.events, older: true });
        // Keep what the person was looking at in place.
        if (!seeking) timeline.scrollTop = timeline.scrollHeight - before;
        return true;
      } catch (e) {
        olderError = e.message;
        status.textContent = olderError;
        return false;
      } finally {
        olderLoad = null;
      }
    })();
    return olderLoad;
  }

  /** Scrolls to a message and flashes it, loading older pages until it is shown. */
  async function showMessage(messageId) {
    await loaded;
    const shown = () => events.some((e) => e.id === messageId);
    // Pages go back in id order: once the oldest shown is older, the message is not there
    // (deleted for this person, or from before they joined).
    const further = () => olderCursor && events.length && BigInt(events[0].id) > BigInt(messageId);
    let drawn = true;
    let failed = false;
    seeking = true;
    try {
      while (!shown() && further()) {
        const more = await loadOlder();
        if (closed) return;
        drawn = false;
        // Drawn below: what did load, and in the status line why the rest did not.
        if (!more) {
          failed = true;
          break;
        }
      }
    } finally {
      seeking = false;
    }
    if (!drawn) renderAll();
    if (failed) return;
    const target = document.getElementById(`m-${messageId}`);
    if (!target) return toast('That message is no longer available.', 'error');
    target.scrollIntoView({ block: 'center' });
    target.classList.add('highlight');
    setTimeout(() => target.classList.remove('highlight'), 1600);
  }

  // ---- actions ----

  /** Answers the feedback survey on message `m`: recorded once, then shown as given. */
  async function answerSurvey(m, score, text) {
    await post(`/feedback_requests/${q(m.feedback_request.id)}/response`, { score, text });
    app.store.reduce({ type: 'event', id, event: { ...m, type: 'message', feedback_request: { ...m.feedback_request, score } } });
    toast('Thanks for your answer');
  }

  /** Answers the open quick reply with `option`: its label is the message. */
  async function answer(option) {
    try {
      await sendMessage({ text: option.label, quickReplyResponse: { type: 'options', metadata: option.metadata ?? '' } });
    } catch (err) {
      toast(err.message, 'error');
      renderAll();
    }
  }

  async function sendMessage({ text, mediaId, replyToId, key, quickReplyResponse }) {
    const body = { text, client_message_id: key, ...extras?.body() };
    if (quickReplyResponse) body.quick_reply_response = quickReplyResponse;
    if (mediaId) body.media_id = mediaId;
    if (replyToId) body.reply_to_id = replyToId;
    if (greeting || about || card || from) {
      body.initiated_via = {
        ...(greeting ? { welcome_message_id: greeting.id } : {}),
        ...(about ? { post_id: about.id } : {}),
        ...(card ? { card_id: card } : {}),
        ...(from ? { source: from } : {}),
      };
    }
    if (!id) {
      const m = await post(`/messages/with/${q(recipient.id)}`, body);
      drafts.delete(draftKey);
      extras?.sent();
      // The conversation exists now: show it at its own address.
      app.navigate(`/messages/${m.conversation_id}`, { replace: true });
      return;
    }
    const m = await post(`/conversations/${q(id)}/messages`, body);
    drafts.delete(draftKey);
    extras?.sent();
    card = null;
    from = null;
    if (about) {
      about = null;
      aboutEl.remove();
    }
    if (greeting) {
      // Recorded now, just before this message: history has it from here on.
      greeting = null;
      greetingEl.remove();
      const page = await get(`/conversations/${q(id)}/events?limit=${PAGE}`);
      app.store.reduce({ type: 'events.page', id, events: page.events });
    }
    // The message ended the other side's typing indicator; typing again shows it again.
    lastTypingSent = 0;
    app.store.reduce({ type: 'event', id, event: { type: 'message', ...m } });
  }

  function sendTyping() {
    if (!id || Date.now() - lastTypingSent < TYPING_SENT_EVERY_MS) return;
    lastTypingSent = Date.now();
    post(`/conversations/${q(id)}/typing`).catch(() => {});
  }

  let readTimer = null;
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (!conversation || isRequest(conversation.box) || document.hidden) return;
      // Up to the newest event, whoever sent it: a reply typed quickly after opening must
      // not leave the messages before it unread.
      const newest = events[events.length - 1];
      if (!newest) return;
      if (conversation.last_read_event_id && BigInt(conversation.last_read_event_id) >= BigInt(newest.id)) return;
      conversation.last_read_event_id = newest.id;
      post(`/conversations/${q(id)}/read`, { last_read_event_id: newest.id }).catch(() => {});
    }, 150);
  }
  const onVisible = () => !document.hidden && markRead();
  document.addEventListener('visibilitychange', onVisible);

  function reactionPicker(button, m) {
    openMenu(button, [{ label: 'More reactions…', run: () => openEmojiPicker(button, (emoji) => toggleReaction(m, emoji), { label: 'Pick a reaction' }) }], {
      label: 'React',
      header: h('div', { class: 'quick-reactions' }, QUICK_REACTIONS.map((emoji) =>
        h('button', { type: 'button', 'aria-label': `React with ${emoji}`, onclick: () => { closePopover(); toggleReaction(m, emoji); } }, emoji))),
    });
  }

  async function toggleReaction(m, emoji) {
    const mine = m.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(app.me.id);
    const path = `/conversations/${q(id)}/messages/${m.id}/reactions/${q(emoji)}`;
    await attempt(() => (mine ? del(path) : put(path)));
  }

  function messageMenu(button, m) {
    const mine = m.sender_id === app.me.id;
    openMenu(button, [
      { label: 'Reply', run: () => input.replyTo(m, userName(m.sender_id)) },
      m.text && { label: 'Copy text', run: () => navigator.clipboard?.writeText(m.text).then(() => toast('Copied')) },
      mine && m.edit_count < limits.edits_per_message && { label: m.edit_count ? `Edit (${limits.edits_per_message - m.edit_count} left)` : 'Edit', run: () => input.edit(m) },
      { label: 'Delete for you', danger: true, run: () => deleteMessage(m, false) },
      mine && { label: 'Delete for everyone', danger: true, run: () => deleteMessage(m, true) },
      !mine && { label: 'Report message', danger: true, run: () => reportDialog('message', `${id}:${m.id}`, 'message') },
    ], { label: 'Message actions' });
  }

  async function deleteMessage(m, forEveryone) {
    const ok = await confirmDialog(forEveryone
      ? { title: 'Delete for everyone?', text: 'Everyone in the conversation will see that a message was deleted.', confirm: 'Delete for everyone', danger: true }
      : { title: 'Delete for you?', text: 'The message disappears for you only; others still see it.', confirm: 'Delete for you', danger: true });
    if (!ok) return;
    const done = await attempt(() => del(`/conversations/${q(id)}/messages/${m.id}?for_everyone=${forEveryone}`));
    if (done) app.store.reduce({ type: 'event.gone', id, messageId: m.id, forEveryone });
  }

  function conversationMenu(button) {
    if (!conversation) return;
    const other = conversation.type === 'one_to_one' ? conversation.participants.find((p) => p.id !== app.me.id) : null;
    const change = (body, done) => attempt(async () => {
      conversation = await patch(`/conversations/${q(id)}`, body);
      onChange?.();
    }, done);
    openMenu(button, [
      other && { label: `View @${other.screen_name}`, run: () => app.navigate(`/${other.screen_name}`) },
      other && app.me.support?.enabled && { label: 'Ask for feedback', run: () => surveyDialog(other) },
      !isRequest(conversation.box) && { label: conversation.pinned ? 'Unpin conversation' : 'Pin conversation', run: () => change({ pinned: !conversation.pinned }, conversation.pinned ? 'Unpinned' : 'Pinned') },
      { label: conversation.muted ? 'Unmute notifications' : 'Mute notifications', run: () => change({ muted: !conversation.muted }, conversation.muted ? 'Unmuted' : 'Muted') },
      conversation.type === 'group' && { label: 'Members', run: () => membersDialog(conversation, { onAdded: refreshConversation }) },
      conversation.type === 'group' && { label: 'Add people', run: () => addPeopleDialog(conversation, { onAdded: refreshConversation }) },
      conversation.type === 'group' && { label: 'Rename group', run: () => renameDialog(conversation, { onRenamed: renamed }) },
      conversation.type === 'group' && { label: 'Leave conversation', danger: true, run: leave },
      { label: 'Delete conversation', danger: true, run: removeConversation },
      other && { label: `Block @${other.screen_name}`, danger: true, run: () => block(other) },
      { label: 'Report conversation', danger: true, run: () => reportDialog('conversation', id, 'conversation') },
    ], { label: 'Conversation options' });
  }

  async function refreshConversation() {
    const fresh = await get(`/conversations/${q(id)}`).catch(() => null);
    if (fresh) sync(fresh);
    onChange?.();
  }

  function renamed(fresh) {
    conversation = fresh;
    renderHeader(fresh.participants.filter((p) => p.id !== app.me.id));
    onChange?.();
  }

  async function accept() {
    await attempt(async () => {
      conversation = await post(`/conversations/${q(id)}/accept`);
      // Accepted, it is one of the person's conversations: the list beside it says so.
      onBox?.(conversation.box);
      await checkPermission();
      mountFooter();
      markRead();
      onChange?.();
    }, 'Request accepted');
  }

  async function removeConversation() {
    const ok = await confirmDialog({ title: 'Delete conversation?', text: 'This removes the conversation and its history for you. Others in it still see it.', confirm: 'Delete', danger: true });
    if (ok && await attempt(() => del(`/conversations/${q(id)}`), 'Conversation deleted')) {
      onChange?.();
      app.navigate('/messages');
    }
  }

  async function leave() {
    const ok = await confirmDialog({ title: 'Leave conversation?', text: 'You won’t get its messages any more, and others will see that you left.', confirm: 'Leave', danger: true });
    if (ok && await attempt(() => del(`/conversations/${q(id)}/participants/${app.me.id}`), 'You left the conversation')) {
      onChange?.();
      app.navigate('/messages');
    }
  }

  /** Reports a request, then offers what usually follows: blocking its sender, or deleting it. */
  async function reportRequest(from) {
    if (!await reportDialog('conversation', id, 'conversation')) return;
    if (from) {
      await block(from, { reported: true });
      return;
    }
    await removeConversation();
  }

  async function block(user, { reported = false } = {}) {
    const ok = await confirmDialog({
      title: reported ? `Reported. Block @${user.screen_name} too?` : `Block @${user.screen_name}?`,
      text: `They won’t be able to follow you or message you, and you won’t see their messages. They are not told.${reported ? ' Blocking also deletes this request.' : ''}`,
      confirm: 'Block',
      danger: true,
    });
    if (ok && await attempt(() => put(`/me/blocks/${user.id}`), `Blocked @${user.screen_name}`)) {
      if (isRequest(conversation?.box)) {
        await del(`/conversations/${q(id)}`).catch(() => {});
        app.navigate('/messages/requests');
      }
      onChange?.();
    }
  }

  // ---- stream ----

  function showTyping() {
    const names = [...typers.keys()].map(userName);
    typing.replaceChildren(names.length
      ? h('span', {}, `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing`, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('span', {}, '.'), h('span', {}, '.'), h('span', {}, '.')))
      : '');
  }

  function stopTyping(userId) {
    clearTimeout(typers.get(userId));
    if (typers.delete(userId)) showTyping();
  }

  function handle(frame) {
    const d = frame.data || {};
    if (!id || d.conversation_id !== id) return;
    if (control?.handle(frame)) return;
    // The events themselves changed in the store, which heard the frame first.
    switch (frame.type) {
      case 'message.created':
        stopTyping(d.sender_id);
        markRead();
        break;
      case 'typing':
        if (d.user_id === app.me.id) break;
        clearTimeout(typers.get(d.user_id));
        typers.set(d.user_id, setTimeout(() => stopTyping(d.user_id), TYPING_SHOWN_MS));
        showTyping();
        break;
      default:
    }
  }

  /**
   * The conversation as the server now has it, fetched by the store after any event that
   * touched it: read receipts (including the mark a reply moves, which has no event of its
   * own), names, members and box come from here rather than being patched in locally.
   */
  function sync(fresh) {
    if (fresh.id !== id || !conversation) return;
    const before = conversation;
    conversation = fresh;
    renderHeader(fresh.participants.filter((p) => p.id !== app.me.id));
    if (before.box !== fresh.box) mountFooter();
    // The rows show read marks and names from here: redrawn only when those changed.
    if (JSON.stringify([before.read_by, before.participants, before.type])
      !== JSON.stringify([fresh.read_by, fresh.participants, fresh.type])) renderAll();
  }

  // The conversation as the store has it after any event that touched it.
  const unsubscribe = app.store.subscribe((change) => {
    if (change.id !== id) return;
    if (change.type === 'conversation') sync(change.conversation);
    if (change.type === 'events') eventsChanged(change.events);
  });

  // Set when the pane closes: a search result's walk back through history stops there.
  let closed = false;
  const loaded = load();
  if (message) showMessage(message);
  return {
    el,
    id,
    handle,
    showMessage,
    destroy() {
      unsubscribe();
      if (id) app.store.reduce({ type: 'events.closed', id });
      closed = true;
      clearTimeout(readTimer);
      typers.forEach(clearTimeout);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
