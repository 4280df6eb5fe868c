// Sign up and log in. Both ask for a browser session: an HttpOnly cookie the page's scripts
// cannot read, plus a CSRF token kept in memory.

import { post } from '../api.js';
import { app } from '../app.js';
import { h } from '../dom.js';
import { formField, showFormError } from '../ui/form.js';

export function authView(mode, next) {
  const signup = mode === 'signup';
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const field = formField;
  const screenName = field('screen_name', 'Username', {
    autocomplete: 'username', required: true, maxlength: 15, pattern: '[A-Za-z0-9_]{1,15}',
    autocapitalize: 'none', spellcheck: 'false',
  }, signup ? 'Up to 15 letters, digits or _. This is your @handle.' : null);
  const name = signup ? field('name', 'Name', { autocomplete: 'name', maxlength: 50 }, 'Optional; shown beside your handle.') : null;
  const password = field('password', 'Password', {
    type: 'password', required: true, minlength: signup ? 8 : undefined,
    autocomplete: signup ? 'new-password' : 'current-password',
  }, signup ? 'At least 8 characters.' : null);
  const submit = h('button', { class: 'btn primary big wide', type: 'submit' }, signup ? 'Create account' : 'Log in');

  const form = h('form', { novalidate: true, onsubmit: onSubmit },
    error, screenName.el, name && name.el, password.el, submit);

  async function onSubmit(e) {
    e.preventDefault();
    const fields = [screenName, name, password].filter(Boolean);
    for (const f of fields) f.setError(null);
    error.hidden = true;
    const body = { screen_name: screenName.input.value.trim(), password: password.input.value, session: true };
    if (signup && name.input.value.trim()) body.name = name.input.value.trim();
    submit.disabled = true;
    try {
      const session = await post(signup ? '/accounts' : '/sessions', body);
      app.signedIn(session, next);
    } catch (err) {
      showFormError(err, fields, error, {
        conflict: ['screen_name', 'That username is taken. Try another.'],
        bad_credentials: [null, 'That username and password don’t match an account.'],
      });
    } finally {
      submit.disabled = false;
    }
  }

  const other = signup
    ? h('p', { class: 'switch' }, 'Already have an account? ', h('a', { href: '/login' }, 'Log in'))
    : h('p', { class: 'switch' }, 'New to Postern? ', h('a', { href: '/signup' + (next ? `?next=${encodeURIComponent(next)}` : '') }, 'Create an account'));
  const el = h('main', { class: 'auth', id: 'main' },
    h('div', { class: 'auth-card' },
      h('div', { class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: '' }), 'Postern'),
      h('h1', {}, signup ? 'Create your account' : 'Log in to Postern'),
      form, other));
  document.title = signup ? 'Sign up · Postern' : 'Log in · Postern';
  queueMicrotask(() => screenName.input.focus());
  return { el };
}
