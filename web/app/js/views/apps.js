// Apps and what they may do.
//   /i/apps            your developer apps: make one, see its keys, get your own access
//                      tokens, regenerate its keys, delete it. Secrets show once, in a dialog.
//   /i/connected_apps  apps you authorized, with what each may do, and Revoke.

import { del, get, post, q } from '../api.js';
import { attempt, toast } from '../app.js';
import { fullTime, h, hostOf } from '../dom.js';
import { confirmDialog, modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';
import { deliveryLog } from './webhooks.js';

function page(title, intro, body, aside) {
  document.title = `${title} · Postern`;
  return h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, title), aside),
    h('p', { class: 'page-intro hint' }, intro), body));
}

export function connectedAppsView() {
  const body = h('div', {});
  const el = page('Connected apps', 'Apps you let use your account. Revoking one stops it at once; it would have to ask you again.',
    body, h('a', { class: 'btn', href: '/i/apps' }, 'Your apps'));
  const draw = (apps) => body.replaceChildren(apps.length
    ? h('section', { class: 'section' }, h('ul', { class: 'app-list', 'aria-label': 'Connected apps' },
      apps.map((a) => connectedRow(a, () => draw(apps.filter((x) => x !== a))))))
    : h('p', { class: 'empty' }, 'You haven’t authorized any apps.'));
  get('/me/authorized_apps').then((r) => draw(r.apps)).catch((e) => body.replaceChildren(h('p', { class: 'empty' }, e.message)));
  return { el };
}

function connectedRow(a, onRevoked) {
  const revoke = h('button', {
    class: 'btn danger', type: 'button', 'aria-label': `Revoke access for ${a.name}`,
    onclick: async () => {
      const sure = await confirmDialog({
        title: `Revoke ${a.name}?`, confirm: 'Revoke access', danger: true,
        text: `${a.name} will no longer be able to use your account. Its tokens stop working now.`,
      });
      if (sure && await attempt(() => del(`/me/authorized_apps/${q(a.app_id)}`), `${a.name} can no longer use your account`)) onRevoked();
    },
  }, 'Revoke');
  return h('li', { class: 'app-row' },
    h('div', { class: 'app-main' },
      h('strong', { class: 'app-name' }, a.name),
      h('small', { class: 'hint' }, `Authorized ${fullTime(a.authorized_at)}`,
        a.website_url && [' · ', h('a', { href: a.website_url, rel: 'noopener noreferrer', target: '_blank' }, hostOf(a.website_url))]),
      h('p', { class: 'app-scopes', 'aria-label': 'What it may do' }, a.permissions.map((p) => h('span', { class: 'scope-tag' }, p)))),
    revoke);
}

export function developerAppsView() {
  const list = h('ul', { class: 'app-list', 'aria-label': 'Your apps' });
  let apps = [];
  const draw = () => list.replaceChildren(...(apps.length
    ? apps.map((a) => developerRow(a, {
      onDeleted: () => { apps = apps.filter((x) => x.id !== a.id); draw(); },
      onRotated: (app) => { apps = apps.map((x) => (x.id === app.id ? app : x)); draw(); },
    }))
    : [h('li', { class: 'muted' }, 'No apps yet. Make one to use Postern’s Twitter-compatible APIs.')]));
  const form = createForm((made) => { apps = [...apps, made]; draw(); });
  const el = page('Your apps', 'Apps you build against Postern’s Twitter-compatible APIs (v1.1 and v2). Bots and libraries written for Twitter work with these keys.',
    h('div', {}, h('section', { class: 'section', 'aria-label': 'Your apps' }, list), form),
    h('a', { class: 'btn', href: '/i/connected_apps' }, 'Connected apps'));
  get('/apps').then((r) => { apps = r.apps; draw(); }).catch((e) => list.replaceChildren(h('li', { class: 'empty' }, e.message)));
  return { el };
}

function developerRow(a, { onDeleted, onRotated }) {
  const tokens = h('button', { class: 'btn', type: 'button', onclick: () => accessTokens(a) }, 'Access tokens');
  const hooks = h('button', {
    class: 'btn', type: 'button', 'aria-label': `Webhooks of ${a.name}`, onclick: () => webhookLogs(a),
  }, 'Webhooks');
  const rotate = h('button', {
    class: 'btn', type: 'button', 'aria-label': `Regenerate keys of ${a.name}`,
    onclick: async () => {
      const sure = await confirmDialog({
        title: `Regenerate ${a.name}’s keys?`, confirm: 'Regenerate',
        text: 'Its consumer secret, client secret and bearer token stop working now. People who authorized it stay connected.',
      });
      if (!sure) return;
      await attempt(async () => {
        const made = await post(`/apps/${q(a.id)}/keys`);
        onRotated(made.app);
        showSecrets(made, 'New keys');
      });
    },
  }, 'Regenerate keys');
  const remove = h('button', {
    class: 'btn danger', type: 'button', 'aria-label': `Delete ${a.name}`,
    onclick: async () => {
      const sure = await confirmDialog({
        title: `Delete ${a.name}?`, confirm: 'Delete app', danger: true,
        text: 'Its keys stop working and everyone who authorized it is disconnected. This can’t be undone.',
      });
      if (sure && await attempt(() => del(`/apps/${q(a.id)}`), `${a.name} deleted`)) onDeleted();
    },
  }, 'Delete');
  return h('li', { class: 'app-row developer' },
    h('div', { class: 'app-main' },
      h('strong', { class: 'app-name' }, a.name),
      h('small', { class: 'hint' }, `Made ${fullTime(a.created_at)}`),
      h('dl', { class: 'app-keys' },
        h('dt', {}, 'Consumer key'), h('dd', {}, h('code', {}, a.consumer_key)),
        h('dt', {}, 'Client ID'), h('dd', {}, h('code', {}, a.client_id)),
        h('dt', {}, 'Callback URLs'), h('dd', {}, a.callback_urls.length ? a.callback_urls.map((u) => h('code', {}, u)) : 'None (PIN only)'))),
    h('div', { class: 'app-actions' }, tokens, hooks, rotate, remove));
}

/** The app's Twitter-compatible webhooks, each with its latest deliveries, in a dialog. */
async function webhookLogs(a) {
  await attempt(async () => {
    const r = await get(`/apps/${q(a.id)}/webhooks`);
    const logs = await Promise.all(r.webhooks.map((w) => get(`/apps/${q(a.id)}/webhooks/${q(w.id)}/deliveries?limit=20`)));
    const body = r.webhooks.length
      ? r.webhooks.map((w, i) => h('section', { class: 'app-webhook' },
        h('h3', { class: 'app-webhook-url' }, h('code', {}, w.url)),
        h('small', { class: 'hint' }, w.valid ? 'Valid: answers the CRC' : 'Invalid: not answering the CRC, so nothing is sent'),
        deliveryLog(logs[i].deliveries, w.url)))
      : [h('p', { class: 'muted' }, 'None yet. Register one through the Account Activity API (/1.1/account_activity) or /2/webhooks.')];
    modal(`${a.name}’s webhooks`, body, doneButton(), { wide: true });
  });
}

function createForm(onMade) {
  const name = formField('name', 'Name', { maxlength: 32, required: true }, 'Up to 32 characters. People see it when they authorize the app.', { id: 'app-name' });
  const callbacks = formField('callback_urls', 'Callback URLs', { rows: 2, placeholder: 'https://example.com/callback' },
    'One per line, up to 10. Where people return after authorizing. Leave empty to use PINs.', { multiline: true, id: 'app-callbacks' });
  const website = formField('website_url', 'Website', { type: 'url', placeholder: 'https://' }, 'Optional.', { id: 'app-website' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn accent', type: 'submit' }, 'Create app');
  const fields = [name, callbacks, website];
  return h('form', {
    class: 'section', 'aria-labelledby': 'app-new', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const body = {
          name: name.input.value.trim(),
          callback_urls: callbacks.input.value.split('\n').map((u) => u.trim()).filter(Boolean),
        };
        if (website.input.value.trim()) body.website_url = website.input.value.trim();
        const made = await post('/apps', body);
        for (const f of fields) { f.setError(null); f.input.value = ''; }
        error.hidden = true;
        onMade(made.app);
        showSecrets(made, `${made.app.name} is ready`);
      } catch (err) {
        showFormError(err, fields, error);
      } finally {
        submit.disabled = false;
      }
    },
  }, h('h2', { id: 'app-new' }, 'Make an app'), error, name.el, callbacks.el, website.el, submit);
}

/** A secret with a Copy button. */
function secretRow(label, value) {
  return [h('dt', {}, label), h('dd', { class: 'secret' }, h('code', {}, value),
    h('button', {
      class: 'btn small', type: 'button', 'aria-label': `Copy ${label}`,
      onclick: () => attempt(() => navigator.clipboard.writeText(value), `${label} copied`),
    }, 'Copy'))];
}

function showSecrets(made, title) {
  modal(title, [
    h('p', { class: 'notice' }, 'Copy these now: the secrets are shown only once. Lost ones can be regenerated.'),
    h('dl', { class: 'app-keys secrets' },
      secretRow('Consumer key', made.consumer_key), secretRow('Consumer secret', made.consumer_secret),
      secretRow('Client ID', made.client_id), secretRow('Client secret', made.client_secret),
      secretRow('Bearer token', made.bearer_token)),
  ], doneButton(), { wide: true });
}

/** Closes the dialog it is in: the person has copied what they need. */
function doneButton() {
  return h('button', { class: 'btn primary', type: 'button', onclick: (e) => e.target.closest('dialog').close() }, 'Done');
}

async function accessTokens(a) {
  const sure = await confirmDialog({
    title: `Your access tokens for ${a.name}`, confirm: 'Make tokens',
    text: 'These let the app act as you, with every permission, until you revoke it in Connected apps.',
  });
  if (!sure) return;
  try {
    const t = await post(`/apps/${q(a.id)}/access_tokens`);
    modal(`Your access tokens for ${a.name}`, [
      h('p', { class: 'notice' }, 'Copy these now: they are shown only once.'),
      h('dl', { class: 'app-keys secrets' },
        secretRow('Access token', t.access_token), secretRow('Access token secret', t.access_token_secret),
        secretRow('OAuth 2.0 token', t.oauth2_access_token)),
    ], doneButton(), { wide: true });
  } catch (err) {
    toast(err.message, 'error');
  }
}
