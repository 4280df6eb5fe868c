// /i/webhooks: your account's events, POSTed to a URL you run. Make one (its signing secret
// shows once), pick the events, send a test, read each one's delivery log, turn it off and on,
// delete it.

import { del, get, patch, post, q } from '../api.js';
import { attempt, toast } from '../app.js';
import { fullTime, h } from '../dom.js';
import { confirmDialog, modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';

/** The events a webhook may ask for, in words. */
const EVENTS = [
  ['message.created', 'New messages'],
  ['message.edited', 'Edited messages'],
  ['message.deleted', 'Deleted messages'],
  ['reaction.added', 'Reactions added'],
  ['reaction.removed', 'Reactions removed'],
  ['conversation.read', 'Read receipts'],
  ['conversation.created', 'New conversations'],
  ['conversation.updated', 'Conversation changes'],
  ['conversation.deleted', 'Conversations deleted'],
  ['participants.joined', 'People joining groups'],
  ['participants.left', 'People leaving groups'],
  ['request.accepted', 'Message requests accepted'],
  ['relationship.changed', 'Follows, blocks and mutes'],
  ['post.mentioned', 'Mentions'],
  ['control_changed', 'Hand-over (who answers)'],
];
const LABEL = Object.fromEntries(EVENTS);

export function webhooksView() {
  document.title = 'Webhooks · Postern';
  let hooks = [];
  const list = h('ul', { class: 'app-list', 'aria-label': 'Your webhooks' });
  const draw = () => list.replaceChildren(...(hooks.length
    ? hooks.map((w) => webhookRow(w, {
      changed: (next) => { hooks = hooks.map((x) => (x.id === next.id ? next : x)); draw(); },
      deleted: () => { hooks = hooks.filter((x) => x.id !== w.id); draw(); },
    }))
    : [h('li', { class: 'muted' }, 'No webhooks yet.')]));
  const el = h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, 'Webhooks'),
      h('a', { class: 'btn', href: '/i/apps' }, 'Your apps')),
    h('p', { class: 'page-intro hint' },
      'Your account’s events, sent as they happen to a URL you run, signed with a secret only you and Postern know. Events wait while your server is down and arrive in order when it is back.'),
    h('section', { class: 'section', 'aria-label': 'Your webhooks' }, list),
    createForm((made) => { hooks = [...hooks, made]; draw(); })));
  get('/webhooks').then((r) => { hooks = r.webhooks; draw(); })
    .catch((e) => list.replaceChildren(h('li', { class: 'empty' }, e.message)));
  return { el };
}

function stateOf(w) {
  if (!w.active) return ['off', 'Off'];
  if (w.failures > 0) return ['failing', `Failing (${w.failures} in a row)`];
  return ['on', 'Active'];
}

function webhookRow(w, { changed, deleted }) {
  const log = h('div', { class: 'delivery-log', hidden: true });
  const [state, stateText] = stateOf(w);
  const test = h('button', {
    class: 'btn', type: 'button', 'aria-label': `Send a test to ${w.url}`,
    onclick: async () => {
      test.disabled = true;
      try {
        const d = await post(`/webhooks/${q(w.id)}/ping`);
        if (d.status >= 200 && d.status < 300) toast(`Test delivered: ${d.status} in ${d.latency_ms} ms`);
        else toast(`Test not delivered: ${d.error}`, 'error');
        if (!log.hidden) await showLog(w, log);
      } catch (err) {
        toast(err.message, 'error');
      } finally {
        test.disabled = false;
      }
    },
  }, 'Send test');
  const logButton = h('button', {
    class: 'btn', type: 'button', 'aria-expanded': 'false', 'aria-label': `Deliveries to ${w.url}`,
    onclick: async () => {
      const open = log.hidden;
      logButton.setAttribute('aria-expanded', String(open));
      log.hidden = !open;
      if (open) await attempt(() => showLog(w, log));
    },
  }, 'Deliveries');
  const replay = h('button', {
    class: 'btn', type: 'button', 'aria-label': `Replay events to ${w.url}`,
    onclick: () => replayDialog(w, () => !log.hidden && showLog(w, log)),
  }, 'Replay');
  const toggle = h('button', {
    class: 'btn', type: 'button',
    onclick: () => attempt(async () => changed(await patch(`/webhooks/${q(w.id)}`, { active: !w.active })),
      w.active ? 'Webhook turned off' : 'Webhook turned on'),
  }, w.active ? 'Turn off' : 'Turn on');
  const remove = h('button', {
    class: 'btn danger', type: 'button', 'aria-label': `Delete the webhook to ${w.url}`,
    onclick: async () => {
      const sure = await confirmDialog({
        title: 'Delete this webhook?', confirm: 'Delete webhook', danger: true,
        text: `Nothing more will be sent to ${w.url}, and its delivery log goes too.`,
      });
      if (sure && await attempt(() => del(`/webhooks/${q(w.id)}`), 'Webhook deleted')) deleted();
    },
  }, 'Delete');
  return h('li', { class: 'app-row webhook' },
    h('div', { class: 'app-main' },
      h('code', { class: 'webhook-url' }, w.url),
      h('p', { class: 'webhook-meta' }, h('span', { class: `hook-state ${state}` }, stateText),
        h('small', { class: 'hint' }, ` · made ${fullTime(w.created_at)}`)),
      h('p', { class: 'app-scopes', 'aria-label': 'Events' },
        (w.events.length ? w.events.map((e) => LABEL[e] || e) : ['All events']).map((t) => h('span', { class: 'scope-tag' }, t))),
      h('div', { class: 'app-actions row' }, test, logButton, replay, toggle, remove),
      log));
}

/** A `datetime-local` value for `date`, in this browser's time. */
function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

/** Asks for a time range and replays it; says how it ended. `ended()` refreshes the log. */
function replayDialog(w, ended) {
  const now = new Date();
  const from = formField('from', 'From', { type: 'datetime-local', step: 1, value: localInput(new Date(now - 3600000)) },
    'Within the last 7 days, in your time.', { id: 'replay-from' });
  const to = formField('to', 'To', { type: 'datetime-local', step: 1, value: localInput(new Date(now.getTime() + 1000)) }, null, { id: 'replay-to' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const go = h('button', {
    class: 'btn primary', type: 'button',
    onclick: async () => {
      go.disabled = true;
      try {
        const started = await post(`/webhooks/${q(w.id)}/replay`, {
          from: new Date(from.input.value).toISOString(), to: new Date(to.input.value).toISOString(),
        });
        dialog.close();
        toast('Replay started');
        for (let i = 0; i < 120; i++) {
          await new Promise((r) => setTimeout(r, 500));
          const r = await get(`/webhooks/${q(w.id)}/replays/${q(started.id)}`);
          if (r.state === 'running') continue;
          toast(r.state === 'complete' ? `Replay complete: ${r.delivered} delivered`
            : `Replay incomplete: ${r.failed} refused, ${r.delivered} delivered`, r.state === 'complete' ? 'info' : 'error');
          await ended();
          break;
        }
      } catch (err) {
        showFormError(err, [from, to], error);
      } finally {
        go.disabled = false;
      }
    },
  }, 'Replay');
  const dialog = modal('Replay events', [
    h('p', { class: 'hint' }, `Every event of the range is sent again to ${w.url}, in order, with the id it had.`),
    error, from.el, to.el,
  ], [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), go]);
  from.input.focus();
}

async function showLog(w, into) {
  const r = await get(`/webhooks/${q(w.id)}/deliveries?limit=20`);
  into.replaceChildren(deliveryLog(r.deliveries, w.url));
}

/** The latest deliveries to `url`, one row per POST (an Account Activity POST may carry several events). */
export function deliveryLog(deliveries, url) {
  if (!deliveries.length) return h('p', { class: 'muted' }, 'Nothing sent yet.');
  const what = (d) => (d.event === 'ping' ? 'Test' : (LABEL[d.event] || d.event));
  return h('table', { class: 'log-table' },
    h('caption', { class: 'visually-hidden' }, `Latest deliveries to ${url}`),
    h('thead', {}, h('tr', {}, ['When', 'Event', 'Result', 'Time'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, deliveries.map((d) => h('tr', { class: d.error ? 'failed' : '' },
      h('td', {}, fullTime(d.at)),
      h('td', {}, what(d),
        d.events > 1 ? h('small', { class: 'hint' }, ` · ${d.events} events`) : null,
        d.attempt > 1 ? h('small', { class: 'hint' }, ` · try ${d.attempt}`) : null),
      h('td', {}, d.error ? h('span', { class: 'field-error' }, d.error) : String(d.status)),
      h('td', {}, `${d.latency_ms} ms`)))));
}

function createForm(onMade) {
  const url = formField('url', 'URL', { type: 'url', placeholder: 'https://example.com/postern', required: true },
    'Where the events go: an address on the internet that answers with a 2xx.', { id: 'hook-url' });
  const boxes = EVENTS.map(([value, label]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'events', value }), h('span', {}, label)));
  const events = h('fieldset', { class: 'event-picks' },
    h('legend', {}, 'Events'), h('small', { class: 'hint' }, 'None picked: all of them.'), boxes);
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn accent', type: 'submit' }, 'Add webhook');
  return h('form', {
    class: 'section', 'aria-labelledby': 'hook-new', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const picked = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        const made = await post('/webhooks', { url: url.input.value.trim(), events: picked });
        url.setError(null);
        url.input.value = '';
        for (const b of boxes) b.querySelector('input').checked = false;
        error.hidden = true;
        onMade(made.webhook);
        showSecret(made);
      } catch (err) {
        showFormError(err, [url], error);
      } finally {
        submit.disabled = false;
      }
    },
  }, h('h2', { id: 'hook-new' }, 'Add a webhook'), error, url.el, events, submit);
}

function showSecret(made) {
  const done = h('button', { class: 'btn primary', type: 'button', onclick: () => dialog.close() }, 'Done');
  const dialog = modal('Webhook added', [
    h('p', { class: 'notice' }, 'Copy the signing secret now: it is shown only once.'),
    h('dl', { class: 'app-keys secrets' },
      h('dt', {}, 'Signing secret'), h('dd', { class: 'secret' }, h('code', {}, made.secret),
        h('button', {
          class: 'btn small', type: 'button', 'aria-label': 'Copy Signing secret',
          onclick: () => attempt(() => navigator.clipboard.writeText(made.secret), 'Secret copied'),
        }, 'Copy'))),
    h('p', { class: 'hint' }, 'Each delivery carries Postern-Signature: t=<time>,v1=<HMAC-SHA256 of "<time>.<body>" with this secret, in hex>. Check it, and refuse old times.'),
  ], done, { wide: true });
}
