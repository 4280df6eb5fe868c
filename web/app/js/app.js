// What every view shares: the signed-in person, a cache of users by id, the stream and the
// store it feeds (store.js), the router's navigate() and toasts. Views import `app` rather
// than passing these around.

import { h } from './dom.js';
import { createStore } from './store.js';
import { Stream } from './stream.js';

export const app = {
  me: null,
  users: new Map(),
  stream: new Stream(),
  store: null, // set below: the store remembers people through remember()
  navigate: () => {},
};

export function remember(user) {
  if (user && user.id) app.users.set(user.id, user);
  return user;
}

app.store = createStore();
// Every frame goes through the store's reducer first, before any view hears it.
app.stream.on((frame) => app.store.frame(frame));

export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind === 'error' ? 'error' : ''}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  box.append(el);
  // A burst of them shows the newest three, not a column down the screen.
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 3000);
}

/** Runs an action and reports a refusal as a toast; returns whether it succeeded. */
export async function attempt(action, success) {
  try {
    await action();
    if (success) toast(success);
    return true;
  } catch (e) {
    toast(e.message, 'error');
    return false;
  }
}

// Deterministic avatar colours: the same person is always the same colour.
const PALETTE = ['#3b5bdb', '#0c8599', '#2b8a3e', '#e8590c', '#c2255c', '#7048e8', '#1971c2', '#5c940d'];

export function avatar(user, size = '') {
  const name = (user && (user.name || user.screen_name)) || '?';
  const label = `${name}'s avatar`;
  if (user && user.avatar_url) {
    return h('span', { class: `avatar ${size}` }, h('img', { src: user.avatar_url, alt: label }));
  }
  let hash = 0;
  for (const c of String(user && user.id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const initial = [...name.trim()][0] || '?';
  return h('span', {
    class: `avatar ${size}`,
    style: `background:${PALETTE[hash % PALETTE.length]}`,
    role: 'img',
    'aria-label': label,
  }, initial.toUpperCase());
}
