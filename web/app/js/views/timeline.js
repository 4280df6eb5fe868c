// The rows of a conversation's timeline, as data: which rows there are (a day line where the
// day changes, each event) and what each shows besides its event (who sent it, its quote,
// "Seen", whether the time shows). The pane draws them through keyed rendering: a row equal
// to the one drawn (`sameRow`) keeps its element.

import { app } from '../app.js';

/** How a user is named in the timeline: "You", their name, or "Someone". */
export function userName(userId) {
  if (userId === app.me.id) return 'You';
  return app.users.get(userId)?.name || 'Someone';
}

/** "Seen" or "Seen by …" under one of my messages, from the conversation's read marks. */
export function seenLabel(conversation, m) {
  if (!conversation || m.sender_id !== app.me.id || m.deleted) return null;
  const readers = conversation.read_by.filter((r) => r.user_id !== app.me.id && BigInt(r.last_read_event_id) >= BigInt(m.id));
  if (!readers.length) return null;
  return conversation.type === 'group' ? `Seen by ${readers.map((r) => userName(r.user_id)).join(', ')}` : 'Seen';
}

/** The rows of `events` (oldest first) in `conversation`. */
export function timelineRows(conversation, events) {
  // "Seen" goes only under the newest of my messages that someone has read.
  let seenId = null;
  for (let i = events.length - 1; i >= 0 && !seenId; i--) {
    if (events[i].type === 'message' && seenLabel(conversation, events[i])) seenId = events[i].id;
  }
  const byEventId = new Map(events.map((e) => [e.id, e]));
  // Only the newest message's quick replies can be answered (and only while the server
  // says the prompt is open: an answer, or its sender writing again, closes it).
  const newest = events[events.length - 1];
  const rows = [];
  events.forEach((e, i) => rowsOf(rows, conversation, e, events[i - 1], events[i + 1], seenId, byEventId));
  const last = rows[rows.length - 1];
  if (last?.kind === 'message' && last.e === newest && newest.quick_reply?.open) last.prompt = true;
  return rows;
}

function rowsOf(rows, conversation, e, prev, next, seenId, byEventId) {
  const day = dayOf(e);
  if (!prev || dayOf(prev) !== day) rows.push({ key: `day-${day}`, kind: 'day', e });
  if (e.type !== 'message') {
    rows.push({ key: e.id, kind: 'system', e, text: systemLine(e) });
    return;
  }
  const quoted = e.reply_to_id ? (byEventId.get(e.reply_to_id) || null) : undefined;
  rows.push({
    key: e.id,
    kind: 'message',
    e,
    quoted,
    showSender: conversation?.type === 'group' && (!prev || prev.sender_id !== e.sender_id || prev.type !== 'message'),
    senderName: app.users.get(e.sender_id)?.name,
    quotedSender: quoted ? userName(quoted.sender_id) : null,
    seen: e.id === seenId ? seenLabel(conversation, e) : null,
    // The time shows under the last of a run of messages from one sender.
    showTime: !next || next.type !== 'message' || next.sender_id !== e.sender_id
      || timeOf(next) - timeOf(e) > 5 * 60 * 1000 || e.id === seenId,
  });
}

/**
 * A join or leave line from the viewer's side: "You added Dave Dee and Erin", "Carol added
 * you and Dave Dee", "Dave Dee left" (whoever added people is not among those added).
 */
export function systemLine(e) {
  const added = e.user_ids.filter((u) => u !== e.sender_id);
  if (e.type === 'participants_join') {
    const names = added.map((u) => (u === app.me.id ? 'you' : userName(u)));
    return `${userName(e.sender_id)} added ${listOf(names)}`;
  }
  return `${listOf(e.user_ids.map(userName))} left the conversation`;
}

/** "A", "A and B", "A, B and C". */
function listOf(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Whether a row drawn from `a` shows the same as one drawn from `b` would. */
export function sameRow(a, b) {
  return a.e === b.e && a.kind === b.kind && a.text === b.text && a.quoted === b.quoted
    && a.showSender === b.showSender && a.senderName === b.senderName
    && a.quotedSender === b.quotedSender && a.seen === b.seen && a.showTime === b.showTime
    && Boolean(a.prompt) === Boolean(b.prompt);
}

// An event's time and day, read once per event object (a long conversation is drawn often).
const times = new WeakMap();
function timeOf(e) {
  let t = times.get(e);
  if (t === undefined) {
    t = Date.parse(e.created_at);
    times.set(e, t);
  }
  return t;
}
const days = new WeakMap();
function dayOf(e) {
  let d = days.get(e);
  if (d === undefined) {
    d = new Date(timeOf(e)).toDateString();
    days.set(e, d);
  }
  return d;
}

