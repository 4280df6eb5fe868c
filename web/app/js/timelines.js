// A conversation's events as the store keeps them (oldest first), and how each change makes a
// new list from the old one. Pure functions: an unchanged event stays the same object, so
// keyed rendering redraws only the rows a change touched.

const byId = (a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0);

/** `events` with a page of history merged in (what is already there is kept). */
export function withPage(events, page) {
  const known = new Set(events.map((e) => e.id));
  return events.concat(page.filter((e) => !known.has(e.id))).sort(byId);
}

/** `events` with `e` added, or merged into the event with its id. */
export function withEvent(events, e) {
  const i = events.findIndex((x) => x.id === e.id);
  if (i >= 0) return events.map((x, j) => (j === i ? { ...x, ...e } : x));
  const last = events[events.length - 1];
  const out = events.concat([e]);
  return last && byId(last, e) > 0 ? out.sort(byId) : out;
}

/** `events` without a message (deleted for me), or with it blanked (deleted for everyone). */
export function withoutMessage(events, messageId, forEveryone) {
  if (!forEveryone) return events.filter((e) => e.id !== messageId);
  const m = events.find((e) => e.id === messageId);
  return m ? withEvent(events, { ...m, text: '', media: undefined, deleted: true, reactions: [] }) : events;
}

/** `events` with a reaction added or removed, as `reaction.added` / `reaction.removed` say. */
export function withReaction(events, change, added) {
  const m = events.find((e) => e.id === change.message_id);
  return m ? withEvent(events, { ...m, reactions: reacted(m.reactions, change, added) }) : events;
}

function reacted(groups, change, added) {
  const out = (groups || []).map((g) => ({ ...g, user_ids: [...g.user_ids] }));
  let g = out.find((x) => x.emoji === change.emoji);
  if (added) {
    if (!g) out.push(g = { emoji: change.emoji, count: 0, user_ids: [] });
    if (!g.user_ids.includes(change.user_id)) g.user_ids.push(change.user_id);
  } else if (g) {
    g.user_ids = g.user_ids.filter((u) => u !== change.user_id);
  }
  for (const x of out) x.count = x.user_ids.length;
  return out.filter((x) => x.count > 0);
}

/** The store action for a stream frame that changes a conversation's events, if it does. */
export function eventAction(frame) {
  const d = frame.data || {};
  const id = d.conversation_id;
  switch (frame.type) {
    case 'message.created':
      return { type: 'event', id, event: { type: 'message', ...d } };
    case 'message.edited':
      return { type: 'event', id, event: { type: 'message', ...d }, onlyKnown: true };
    case 'message.deleted':
      return { type: 'event.gone', id, messageId: d.message_id, forEveryone: d.for_everyone };
    case 'reaction.added':
    case 'reaction.removed':
      return { type: 'reaction', id, change: d, added: frame.type === 'reaction.added' };
    case 'participants.joined':
    case 'participants.left':
      return { type: 'event', id, event: { ...d, type: frame.type === 'participants.joined' ? 'participants_join' : 'participants_leave' } };
    default:
      return null;
  }
}
