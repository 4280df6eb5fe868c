// A message's interactive parts in the timeline: the custom profile it was sent as, the post
// it moved to DMs, its buttons, and (under the newest message, while it can be answered) its
// quick-reply options.

import { get, q } from '../api.js';
import { app, avatar } from '../app.js';
import { h } from '../dom.js';
import { authorOf, postElement } from './post.js';

/** "Maria from Support" with her picture, above a message sent as a custom profile. */
export function profileLine(m) {
  const p = m.custom_profile;
  if (!p) return null;
  const person = { id: `profile-${p.id}`, name: p.name, avatar_url: p.avatar_url };
  return h('div', { class: 'sent-as' }, avatar(person, 'small'), h('span', { title: p.name }, p.name));
}

/**
 * A message's buttons, each through its counting link. A web page opens in a new tab; a
 * follow or DM link loads in this one (`data-page`: past the app's own link handling, so
 * the server counts the click and redirects).
 */
export function buttonsElement(m) {
  if (!m.ctas?.length || m.deleted) return null;
  return h('div', { class: 'ctas' }, m.ctas.map((b) => h('a', {
    class: 'cta',
    href: b.tco_url,
    ...(b.type === 'url' ? { target: '_blank', rel: 'noopener noreferrer' } : { dataset: { page: 'true' } }),
    'aria-label': b.clicks === undefined ? null : `${b.label}, ${b.clicks} ${b.clicks === 1 ? 'click' : 'clicks'}`,
  }, h('span', {}, b.label), b.clicks !== undefined && h('small', { class: 'clicks' }, String(b.clicks)))));
}

/**
 * The options of an open prompt from the other side, as a group of buttons; `onPick(option)`
 * sends the answer. Keyboard: Tab reaches them, Enter or Space picks.
 */
export function quickRepliesElement(m, onPick) {
  const q = m.quick_reply;
  if (!q?.open || m.sender_id === app.me.id) return null;
  return h('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' },
    q.options.map((o) => h('button', {
      class: 'quick-reply', type: 'button',
      onclick: (e) => {
        for (const b of e.currentTarget.parentElement.querySelectorAll('button')) b.disabled = true;
        onPick(o);
      },
    }, h('span', {}, o.label), o.description && h('small', {}, o.description))));
}

/**
 * The post a message moved to DMs ("Switch to DM"), quoted above it. Fetched as it is drawn
 * (the message holds only its id); a post since deleted says so.
 */
export function quotedPost(m) {
  const id = m.initiated_via?.post_id;
  if (!id || m.deleted) return null;
  const box = h('div', { class: 'quoted-post' });
  (async () => {
    try {
      const p = await get(`/posts/${q(id)}`);
      box.append(postElement(p, await authorOf(p), { compact: true }));
    } catch {
      box.append(h('p', { class: 'muted' }, 'About a post that is no longer there'));
    }
  })();
  return box;
}
