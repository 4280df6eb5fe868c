// What every view shares: the signed-in person, a cache of users by id, the stream and the
// store it feeds (store.js), the router's navigate() and toasts. Views import `app` rather
// than passing these around.

import { h } from './dom.js';
import { createStore } from './store.js';
import { Stream } from './stream.js';

export const app = {
  me: null,
  stream: new Stream(),
  store: createStore(),
  navigate: () => {},
  /** People by id, as the store knows them. */
  get users() {
    return this.store.people;
  },
};

/** Tells the store about a person the server has shown; returns them. */
export function remember(user) {
  if (user && user.id) app.store.reduce({ type: 'person', user });
  return user;
}

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

// The server's square sides (48, 96, 200, 400) for each drawn size at 1× and 2×: lists and
// headers draw 28–40 px, a profile 96 px.
const SIDES = { '': [48, 96], small: [48, 96], large: [96, 200] };

/**
 * A person's picture: their initial on their colour, and over it their avatar when they have
 * one. The initial shows while the picture loads and stays if it fails.
 */
export function avatar(user, size = '') {
  const name = (user && (user.name || user.screen_name)) || '?';
  let hash = 0;
  for (const c of String(user && user.id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const initial = [...name.trim()][0] || '?';
  const el = h('span', {
    class: `avatar ${size}`,
    style: `background:${PALETTE[hash % PALETTE.length]}`,
    role: 'img',
    'aria-label': `${name}'s avatar`,
  }, h('span', { 'aria-hidden': 'true' }, initial.toUpperCase()));
  if (user && user.avatar_url) {
    const [one, two] = SIDES[size] || SIDES[''];
    el.append(h('img', {
      src: `${user.avatar_url}?size=${one}`,
      srcset: `${user.avatar_url}?size=${one} 1x, ${user.avatar_url}?size=${two} 2x`,
      alt: '',
      decoding: 'async',
      onerror: (e) => e.target.remove(),
    }));
  }
  return el;
}
