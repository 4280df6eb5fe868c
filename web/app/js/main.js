// Postern's web app. Module map:
//   main.js            boot, routing, the frame (navigation rail) around every page
//   ../routes.json     the app's pages, shared with the server and its reserved names
//   app.js             what views share: signed-in user, user cache, stream, toasts, avatars
//   store.js           the conversations the stream keeps current, through one reducer
//   api.js             the native API (CSRF, errors with code and field, media uploads)
//   stream.js          the WebSocket stream with resume from the last position
//   dom.js             h() to build elements safely, icons, time formats
//   views/             one module per page: auth, messages (inbox + conversation), inbox,
//                      conversation (with timeline: its rows as data; permission: who may
//                      write; group: members and name), search, new-message, profile, settings,
//                      business (support, welcome-editor, profiles, DM links; at /i/business),
//                      posts (a profile's, mentions at /i/mentions, one at /i/posts/{id}, Reply
//                      privately), post-composer
//                      apps (your developer apps at /i/apps, connected apps at /i/connected_apps),
//                      consent (an app asks to use your account: /i/oauth/authorize, /i/oauth2/authorize),
//                      webhooks (your events sent to your URL: /i/webhooks),
//                      bot (a support account's flows, edited with a live preview: /i/bot)
//   ui/                parts views share: composer, message, emoji, popover/menu, dialog, text,
//                      keyed (keyed rendering), form (fields with their errors), viewer (photos),
//                      parts and parts-editor (quick replies, buttons), extras (a business's
//                      composer: send as, quick replies, buttons), welcome (a welcome message),
//                      control (hand-over: who answers a support account's conversation)
//
// Boot and routing. The server answers every app path with the same page; this file
// decides what to draw for the path, keeps the frame (navigation rail) across pages, and
// lets a view that is already showing take new parameters instead of being rebuilt, so
// switching conversations keeps the inbox and its scroll position.

import routes from '../routes.json' with { type: 'json' };
import { del, get, loadLimits, onSignedOut, setCsrfToken } from './api.js';
import { app, avatar, remember } from './app.js';
import { h, icon, mount } from './dom.js';
import { authView } from './views/auth.js';
import { connectedAppsView, developerAppsView } from './views/apps.js';
import { botView } from './views/bot.js';
import { businessView } from './views/business.js';
import { consentView } from './views/consent.js';
import { openPostComposer } from './views/post-composer.js';
import { mentionsView, postView } from './views/posts.js';
import { insightsView } from './views/insights.js';
import { messagesView } from './views/messages.js';
import { profileView } from './views/profile.js';
import { settingsView } from './views/settings.js';
import { webhooksView } from './views/webhooks.js';

const root = document.getElementById('app');
let current = null; // { name, view }
let frame = null;

function route(path) {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { name: app.me ? 'redirect' : 'login', to: '/messages' };
  const [first, second] = parts;
  if (first === 'login' || first === 'signup') {
    const next = new URLSearchParams(location.search).get('next');
    // Only a path on this site: a link must not send someone elsewhere after they log in.
    return { name: first, mode: first, next: next && /^\/(?!\/)/.test(next) ? next : null };
  }
  if (!app.me) return { name: 'login', mode: 'login', next: path + location.search };
  if (first === 'messages') {
    if (!second) return { name: 'messages', tab: 'primary' };
    if (second === 'requests' || second === 'filtered') return { name: 'messages', tab: second };
    if (second === 'compose') return { name: 'messages', tab: 'primary', compose: new URLSearchParams(location.search) };
    return { name: 'messages', conversation: decodeURIComponent(second), message: messageParam() };
  }
  if (first === 'settings') return { name: 'settings' };
  // A button's "Follow @name" (`/intent/follow?screen_name=`): the account's profile, where
  // the Follow button is.
  if (first === 'intent' && second === 'follow') {
    const name = new URLSearchParams(location.search).get('screen_name') || '';
    return /^[A-Za-z0-9_]{1,15}$/.test(name) ? { name: 'redirect', to: `/${name}` } : { name: 'notfound' };
  }
  // A post button's "share this" (`/intent/post?text=&url=`): the post composer, filled in,
  // over your messages.
  if (first === 'intent' && second === 'post') {
    const params = new URLSearchParams(location.search);
    const text = [params.get('text'), params.get('url')].filter(Boolean).join(' ');
    return { name: 'redirect', to: '/messages', then: () => openPostComposer({ text }) };
  }
  // New pages go under the prefix (routes.json), where no screen name reaches.
  if (first === routes.prefix) return prefixed(parts.slice(1));
  if (parts.length === 1 && !routes.pages.includes(first)) return { name: 'profile', screenName: first };
  return { name: 'notfound' };
}

/**
 * Pages under the reserved prefix: `/i/business`, `/i/bot`, `/i/insights`, `/i/mentions`, `/i/posts/{id}`,
 * `/i/apps`, `/i/connected_apps`, `/i/webhooks`, and the consent pages `/i/oauth/authorize` (OAuth 1.0a) and
 * `/i/oauth2/authorize` (OAuth 2.0, X's own address).
 */
function prefixed([page, id, ...rest]) {
  if (rest.length) return { name: 'notfound' };
  if ((page === 'oauth' || page === 'oauth2') && id === 'authorize') {
    return { name: 'consent', kind: page === 'oauth' ? 'oauth1' : 'oauth2', params: new URLSearchParams(location.search) };
  }
  if (page === 'apps' && !id) return { name: 'apps' };
  if (page === 'connected_apps' && !id) return { name: 'connected_apps' };
  if (page === 'webhooks' && !id) return { name: 'webhooks' };
  if (page === 'business' && !id) return { name: 'business' };
  if (page === 'bot' && !id) return { name: 'bot' };
  if (page === 'mentions' && !id) return { name: 'mentions' };
  if (page === 'insights' && !id) return { name: 'insights' };
  if (page === 'posts' && /^\d{1,19}$/.test(id || '')) return { name: 'post', id };
  return { name: 'notfound' };
}

/** The message a link asks to show (`?message=ID`, from search results), if it is an id. */
function messageParam() {
  const id = new URLSearchParams(location.search).get('message');
  return id && /^\d{1,19}$/.test(id) ? id : null;
}

function navigate(to, { replace = false } = {}) {
  if (to !== location.pathname + location.search) {
    history[replace ? 'replaceState' : 'pushState'](null, '', to);
  }
  render();
}
app.navigate = navigate;

function render() {
  const r = route(location.pathname);
  if (r.name === 'redirect') {
    navigate(r.to, { replace: true });
    r.then?.();
    return;
  }
  // The consent page stands alone, like logging in: the app's request is all it shows.
  if (r.name === 'consent') {
    frame?.unsubscribe();
    frame = null;
    current?.view.destroy?.();
    current = { name: r.name, view: consentView(r.kind, r.params) };
    mount(root, current.view.el);
    return;
  }
  if (r.name === 'login' || r.name === 'signup') {
    if (app.me) return navigate('/messages', { replace: true });
    frame?.unsubscribe();
    frame = null;
    current?.view.destroy?.();
    current = { name: r.name, view: authView(r.mode, r.next) };
    mount(root, current.view.el);
    return;
  }
  ensureFrame();
  markNav(r.name);
  if (current && current.name === r.name && current.view.update) {
    current.view.update(r);
    return;
  }
  current?.view.destroy?.();
  const view =
    r.name === 'messages' ? messagesView(r)
      : r.name === 'settings' ? settingsView()
        : r.name === 'business' ? businessView()
          : r.name === 'bot' ? botView()
          : r.name === 'mentions' ? mentionsView()
            : r.name === 'insights' ? insightsView()
            : r.name === 'post' ? postView(r.id)
            : r.name === 'apps' ? developerAppsView()
            : r.name === 'connected_apps' ? connectedAppsView()
            : r.name === 'webhooks' ? webhooksView()
        : r.name === 'profile' ? profileView(r.screenName)
          : notFound();
  current = { name: r.name, view };
  mount(frame.main, view.el);
}

function notFound() {
  return {
    el: h('div', { class: 'page' }, h('div', { class: 'empty' }, h('h2', {}, 'This page doesn’t exist'),
      h('p', {}, h('a', { href: '/messages' }, 'Go to your messages')))),
  };
}

const NAV_ICONS = { messages: 'mail', mentions: 'at', profile: 'user', settings: 'settings', business: 'support' };

function ensureFrame() {
  if (frame && root.contains(frame.el)) return;
  const status = h('p', { class: 'status-pill', role: 'status', 'data-state': app.stream.state || 'connecting' }, 'Connecting…');
  const unstatus = app.stream.onStatus((state) => {
    status.dataset.state = state;
    status.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  });
  const meCard = h('a', { class: 'me', href: `/${app.me.screen_name}`, 'aria-label': `Your profile, @${app.me.screen_name}` });
  const drawMe = () => meCard.replaceChildren(avatar(app.me, 'small'),
    h('span', {}, h('strong', {}, app.me.name), h('small', {}, `@${app.me.screen_name}`)));
  drawMe();
  // A new name or picture, saved here or on another page, shows at once.
  const unperson = app.store.subscribe((change) => {
    if (change.type === 'person' && change.id === app.me?.id) {
      app.me = { ...app.me, ...change.person };
      drawMe();
      showBusiness();
    }
  });
  const unsubscribe = () => {
    unstatus();
    unperson();
  };
  const link = (href, name, label, extra) =>
    h('a', { class: 'nav-link', href, dataset: { nav: name } }, icon(NAV_ICONS[name]),
      h('span', { class: 'label' }, label), extra);
  const unread = h('span', { class: 'badge', hidden: true, 'aria-label': 'unread conversations' });
  app.setUnreadTotal = (n) => {
    unread.hidden = n === 0;
    unread.textContent = n === 0 ? '' : n > 99 ? '99+' : String(n);
  };
  const main = h('main', { id: 'main', tabindex: '-1' });
  // A support account's settings are a tap away; anyone reaches them from Settings.
  const business = link('/i/business', 'business', 'Business');
  const showBusiness = () => { business.hidden = !app.me.support?.enabled; };
  showBusiness();
  const el = h('div', { class: 'frame' },
    h('nav', { class: 'rail', 'aria-label': 'Main' },
      h('a', { class: 'brand', href: '/messages' }, h('img', { src: '/assets/icon.svg', alt: '' }), h('span', {}, 'Postern')),
      link('/messages', 'messages', 'Messages', unread),
      link('/i/mentions', 'mentions', 'Mentions'),
      link(`/${app.me.screen_name}`, 'profile', 'Profile'),
      business,
      link('/settings', 'settings', 'Settings'),
      h('button', { class: 'nav-link post-button', type: 'button', onclick: () => openPostComposer() }, icon('plus'), h('span', { class: 'label' }, 'Post')),
      h('button', { class: 'nav-link', type: 'button', onclick: logout }, icon('logout'), h('span', { class: 'label' }, 'Log out')),
      h('div', { class: 'spacer' }),
      status,
      meCard),
    main);
  frame = { el, main, unsubscribe };
  mount(root, el);
}

function markNav(name) {
  for (const a of frame.el.querySelectorAll('[data-nav]')) {
    const here = a.dataset.nav === name && (name !== 'profile' || location.pathname === `/${app.me.screen_name}`);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function logout() {
  try {
    await del('/sessions/current');
  } finally {
    signedOut();
  }
}

function signedOut() {
  forgetSession();
  app.me = null;
  app.store.reduce({ type: 'reset' });
  app.stream.stop();
  setCsrfToken(null);
  frame?.unsubscribe();
  frame = null;
  current = null;
  navigate('/login');
}

/** After login or signup: remember who we are, open the stream, go where they meant to. */
app.signedIn = (session, next) => {
  app.me = remember(session.user);
  setCsrfToken(session.csrf_token);
  app.stream.start();
  navigate(next || '/messages', { replace: true });
};

// Same-origin links navigate inside the app; modified clicks open tabs as usual.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.hasAttribute('download') || a.dataset.page) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);
onSignedOut(() => {
  if (app.me) signedOut();
});

/** Whether a session was started in this browser (a cookie the server sets beside it). */
const SIGNED_IN = /(?:^|;\s*)postern_signed_in=1(?:;|$)/;

/** The session ended (or expired): the next load need not ask. */
function forgetSession() {
  document.cookie = 'postern_signed_in=; Max-Age=0; path=/';
}

async function boot() {
  const limitsLoaded = loadLimits();
  try {
    // Signed out, there is no one to ask about: no request, so nothing fails.
    if (!SIGNED_IN.test(document.cookie)) throw new Error('signed out');
    const session = await get('/sessions/current');
    app.me = remember(session.user);
    setCsrfToken(session.csrf_token);
    app.stream.start();
  } catch (e) {
    if (e.status === 401) forgetSession();
    app.me = null;
  }
  await limitsLoaded;
  render();
}

// A handle for people debugging and for the end-to-end tests (dropping the stream).
window.postern = app;
boot();
