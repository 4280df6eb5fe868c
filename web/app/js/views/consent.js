// The consent page: an app asks to act for you. Reached from the app's link —
// /oauth/authorize?oauth_token=… (OAuth 1.0a, which the server sends here as
// /i/oauth/authorize) or /i/oauth2/authorize?response_type=code&client_id=… (OAuth 2.0, X's own
// address). It shows who made the app and what it may do; Allow sends you back to the app
// (or shows a PIN to type into it), Cancel tells the app you said no.

import { get, post, q } from '../api.js';
import { app } from '../app.js';
import { h, hostOf, icon } from '../dom.js';
import { plainMessage } from '../ui/form.js';

/** The OAuth 2.0 request's fields, as the app put them in the link. */
const CODE_FIELDS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

/** `kind`: 'oauth1' or 'oauth2'; `params`: the page's query. */
export function consentView(kind, params) {
  const card = h('div', { class: 'auth-card consent' }, h('p', { class: 'boot', role: 'status' }, 'Loading…'));
  const el = h('main', { class: 'auth', id: 'main' }, card);
  document.title = 'Authorize an app · Postern';
  const calls = kind === 'oauth1' ? oauth1Calls(params) : oauth2Calls(params);

  calls.describe()
    .then((consent) => card.replaceChildren(...askBody(consent, calls, card)))
    .catch((err) => card.replaceChildren(...failedBody(err)));
  return { el };
}

function oauth1Calls(params) {
  const token = params.get('oauth_token') || '';
  const path = `/oauth/request_tokens/${q(token)}`;
  return {
    describe: () => (token ? get(path) : Promise.reject(new Error('This link has no oauth_token.'))),
    decide: (allow) => post(path, { allow }),
  };
}

function oauth2Calls(params) {
  const request = Object.fromEntries(CODE_FIELDS.map((f) => [f, params.get(f) || '']));
  return {
    describe: () => get(`/oauth2/authorization?${new URLSearchParams(request)}`),
    decide: (allow) => post('/oauth2/authorization', { ...request, allow }),
  };
}

function brand() {
  return h('div', { class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: '' }), 'Postern');
}

function askBody(consent, calls, card) {
  const a = consent.app;
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const allow = h('button', { class: 'btn primary big wide', type: 'button' }, 'Authorize app');
  const cancel = h('button', { class: 'btn big wide', type: 'button' }, 'Cancel');
  async function decide(yes) {
    allow.disabled = cancel.disabled = true;
    error.hidden = true;
    try {
      const next = await calls.decide(yes);
      if (next.redirect_to) {
        card.replaceChildren(brand(), h('p', { class: 'boot', role: 'status' }, `Taking you back to ${a.name}…`));
        location.assign(next.redirect_to);
      } else {
        card.replaceChildren(...doneBody(a, next.pin));
      }
    } catch (err) {
      error.textContent = plainMessage(err);
      error.hidden = false;
      allow.disabled = cancel.disabled = false;
    }
  }
  allow.addEventListener('click', () => decide(true));
  cancel.addEventListener('click', () => decide(false));
  queueMicrotask(() => allow.focus());
  return [
    brand(),
    h('h1', {}, h('span', { class: 'consent-app' }, a.name), ' wants to use your account'),
    h('p', { class: 'consent-by' }, `An app by @${a.owner_screen_name}`,
      a.website_url && [' · ', h('a', { href: a.website_url, rel: 'noopener noreferrer', target: '_blank' }, hostOf(a.website_url))]),
    h('p', { class: 'consent-as' }, 'You’re signed in as ', h('strong', {}, `@${app.me.screen_name}`), '.'),
    h('h2', { class: 'consent-head' }, 'This app will be able to:'),
    h('ul', { class: 'consent-scopes' }, consent.scopes.map((s) => h('li', {}, icon('check'), h('span', {}, s.description)))),
    h('p', { class: 'hint' }, 'You can revoke its access at any time in Settings, under Connected apps.'),
    error,
    h('div', { class: 'consent-actions' }, allow, cancel),
  ];
}

function doneBody(a, pin) {
  if (!pin) {
    return [brand(), h('h1', {}, 'You didn’t authorize the app'),
      h('p', { class: 'consent-by' }, `${a.name} can’t use your account.`),
      h('p', { class: 'switch' }, h('a', { href: '/messages' }, 'Go to your messages'))];
  }
  return [brand(), h('h1', {}, `Enter this PIN in ${a.name}`),
    h('p', { class: 'consent-pin', 'aria-label': `PIN ${pin.split('').join(' ')}` }, pin),
    h('p', { class: 'hint' }, 'It works once, for the next 10 minutes.'),
    h('p', { class: 'switch' }, h('a', { href: '/messages' }, 'Go to your messages'))];
}

function failedBody(err) {
  const gone = err.status === 404;
  return [brand(), h('h1', {}, gone ? 'This authorization link has expired' : 'This app’s request isn’t valid'),
    h('p', { class: 'consent-by', role: 'alert' },
      gone ? 'Links to authorize an app work once, for 10 minutes. Go back to the app and try again.' : plainMessage(err)),
    h('p', { class: 'switch' }, h('a', { href: '/messages' }, 'Go to your messages'))];
}
