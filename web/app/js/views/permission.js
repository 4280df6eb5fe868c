// Whether the person may write to someone, asked before they type (SPEC §3.3): where the
// other person does not take their messages, a notice says why and what would change it.

import { get, q } from '../api.js';
import { h } from '../dom.js';

/** Why `me` may not write to `other` (`{ rule, user, blocking }`), or null when they may. */
export async function refusalFor(other) {
  try {
    const permission = await get(`/users/${q(other.id)}/dm_permission`);
    if (permission.allowed) return null;
    const profile = permission.rule === 'blocked' ? await get(`/users/${q(other.id)}`) : null;
    return { rule: permission.rule, user: other, blocking: Boolean(profile?.relationship?.blocking) };
  } catch {
    return null; // the composer stays; a send says what went wrong
  }
}

/**
 * Why, and what would change it, in words: one place for every view that explains a refusal
 * (`who` names the person where several are in question, as in a group).
 */
export function refusalWords({ rule, user, blocking }, who = user.name) {
  const handle = `@${user.screen_name}`;
  if (rule === 'blocked' && blocking) return [`You blocked ${handle}.`, 'Unblock them on their profile to send messages.'];
  if (rule === 'blocked') return [`You can’t send messages to ${handle}.`, ''];
  return [`${who} accepts messages only from people they follow.`, 'You can message them once they follow you.'];
}

export function refusalNotice(refusal) {
  const { user } = refusal;
  const handle = `@${user.screen_name}`;
  const [why, how] = refusalWords(refusal);
  return h('div', { class: 'request-bar refusal', role: 'status' },
    h('p', {}, h('strong', {}, why), how && ` ${how}`),
    h('div', { class: 'buttons' }, h('a', { class: 'btn', href: `/${user.screen_name}` }, `View ${handle}`)));
}
