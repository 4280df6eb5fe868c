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

export function refusalNotice({ rule, user, blocking }) {
  const handle = `@${user.screen_name}`;
  let why;
  let how;
  if (rule === 'blocked' && blocking) [why, how] = [`You blocked ${handle}.`, 'Unblock them on their profile to send messages.'];
  else if (rule === 'blocked') [why, how] = [`You can’t send messages to ${handle}.`, ''];
  else [why, how] = [`${user.name} accepts messages only from people they follow.`, 'You can message them once they follow you.'];
  return h('div', { class: 'request-bar refusal', role: 'status' },
    h('p', {}, h('strong', {}, why), how && ` ${how}`),
    h('div', { class: 'buttons' }, h('a', { class: 'btn', href: `/${user.screen_name}` }, `View ${handle}`)));
}
