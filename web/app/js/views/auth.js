// Sign up and log in. Both ask for a browser session: an HttpOnly cookie the page's scripts
// cannot read, plus a CSRF token kept in memory.

import { post } from '../api.js';
import { app } from '../app.js';
import { h } from '../dom.js';

export function authView(mode, next) {
  const signup = mode === 'signup';
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const field = (name, label, attrs, hint) => {
    const id = `auth-${name}`;
    const input = h('input', { class: 'input', id, name, 'aria-describedby': hint ? `${id}-hint` : null, ...attrs });
    return {
      input,
      el: h('div', { class: 'field' }, h('label', { for: id }, label), input,
        hint && h('small', { class: 'hint', id: `${id}-hint` }, hint)),
    };
  };
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
    error.hidden = true;
    for (const f of [screenName, name, password]) f && f.input.removeAttribute('aria-invalid');
    const body = { screen_name: screenName.input.value.trim(), password: password.input.value, session: true };
    if (signup && name.input.value.trim()) body.name = name.input.value.trim();
    submit.disabled = true;
    try {
      const session = await post(signup ? '/accounts' : '/sessions', body);
      app.signedIn(session, next);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      const bad = { screen_name: screenName, name, password }[err.field];
      if (bad) {
        bad.input.setAttribute('aria-invalid', 'true');
        bad.input.focus();
      }
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
