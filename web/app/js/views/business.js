// /i/business: what a brand sets up to serve people in DMs. Support (on or off, opening hours
// in a time zone, the away message), welcome messages (views/welcome-editor.js), the custom
// profiles agents answer as, a builder for DM links to put on a web page, DM cards and what
// feedback surveys say (views/business-cards.js).

import { del, get, post, put, q, uploadMedia } from '../api.js';
import { app, attempt, avatar, remember, toast } from '../app.js';
import { h } from '../dom.js';
import { formField, plainMessage, showFormError } from '../ui/form.js';
import { cardsSection, surveysSection } from './business-cards.js';
import { welcomeEditor } from './welcome-editor.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'],
  ['sat', 'Saturday'], ['sun', 'Sunday']];

export function businessView() {
  const body = h('div', {});
  const el = h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, 'Business'),
      h('a', { class: 'btn', href: '/i/bot' }, 'Bot'),
      h('a', { class: 'btn', href: '/i/insights' }, 'Insights')), body));
  document.title = 'Business · Postern';

  async function load() {
    const [support, welcomes, profiles] = await Promise.all([
      get('/me/support'), get('/welcome_messages'), get('/custom_profiles'),
    ]);
    const links = linkSection(welcomes.welcome_messages);
    body.replaceChildren(
      supportSection(support),
      welcomeSection(welcomes.welcome_messages, links.setWelcomes),
      profilesSection(profiles.custom_profiles),
      links.el,
      cardsSection(welcomes.welcome_messages),
      surveysSection());
  }

  load().catch((e) => body.replaceChildren(h('p', { class: 'empty' }, e.message)));
  return { el };
}

/** Support on or off, the hours it is open, and what it says when closed. */
function supportSection(settings) {
  const enabled = h('input', { type: 'checkbox', checked: settings.enabled, id: 'support-enabled' });
  const hours = hoursEditor(settings.hours);
  const away = formField('away_message', 'Away message', { rows: 3, maxlength: 10000 },
    'Sent once to whoever writes while you are closed. Leave empty for none.', { multiline: true });
  away.input.value = settings.away_message?.text || '';
  const idle = formField('handover_idle_minutes', 'Hand back to the bot after (minutes)',
    { type: 'number', min: 0, max: 10080, inputmode: 'numeric' },
    'When a person took over a conversation and no one replied for this long, your bot answers again. 0: only when handed back.');
  idle.input.value = String(settings.handover_idle_minutes ?? 60);
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { class: 'btn primary', type: 'submit' }, 'Save support settings');
  return h('form', {
    class: 'section', 'aria-labelledby': 'biz-support',
    onsubmit: async (e) => {
      e.preventDefault();
      save.disabled = true;
      try {
        const text = away.input.value.trim();
        // The away message keeps its quick replies and buttons (set through the API).
        const kept = settings.away_message && text ? { ...settings.away_message, text } : { text };
        settings = await put('/me/support', {
          enabled: enabled.checked, hours: hours.value(), away_message: text ? kept : null,
          handover_idle_minutes: Number(idle.input.value || 0),
        });
        error.hidden = true;
        hours.setError(null);
        away.setError(null);
        app.me = remember(await get('/me'));
        toast('Support settings saved');
      } catch (err) {
        if (err.field?.startsWith('hours')) {
          hours.setError(plainMessage(err));
        } else {
          showFormError({ ...err, field: err.field?.startsWith('away_message') ? 'away_message' : err.field, message: err.message }, [away, idle], error);
        }
      } finally {
        save.disabled = false;
      }
    },
  },
  h('h2', { id: 'biz-support' }, 'Support'),
  h('label', { class: 'check', for: 'support-enabled' }, enabled,
    h('span', {}, h('strong', {}, 'Provide support'),
      h('small', {}, 'Anyone can message you and lands in your Primary inbox. Your profile says “Provides support” with a big Message button.'))),
  error, hours.el, away.el, idle.el, save);
}

/** Always open, or opening hours per weekday in a time zone. */
function hoursEditor(hours) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  const zoneNow = hours?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const always = h('input', { type: 'radio', name: 'hours-kind', value: 'always', checked: !hours });
  const set = h('input', { type: 'radio', name: 'hours-kind', value: 'set', checked: Boolean(hours) });
  const zone = h('select', { class: 'input', id: 'hours-zone' },
    [...new Set(['UTC', ...zones, zoneNow])].map((z) => h('option', { value: z, selected: z === zoneNow }, z)));
  const rows = DAYS.map(([day, name]) => {
    const slot = hours?.weekly.find((w) => w.day === day);
    const open = h('input', { type: 'checkbox', checked: hours ? Boolean(slot) : day !== 'sat' && day !== 'sun', 'aria-label': `Open on ${name}` });
    const from = h('input', { class: 'input', type: 'time', value: slot?.open || '09:00', 'aria-label': `${name} opens at` });
    const to = h('input', { class: 'input', type: 'time', value: slot?.close === '24:00' ? '23:59' : slot?.close || '17:30', 'aria-label': `${name} closes at` });
    const sync = () => { from.disabled = to.disabled = !open.checked; };
    open.addEventListener('change', sync);
    sync();
    return { day, open, from, to, el: h('div', { class: 'hours-row' }, h('label', { class: 'day' }, open, h('span', { class: 'long' }, name), h('span', { class: 'short', 'aria-hidden': 'true' }, name.slice(0, 3))), from, h('span', { 'aria-hidden': 'true' }, '–'), to) };
  });
  const weekly = h('div', { class: 'hours', id: 'hours-weekly' },
    h('div', { class: 'field' }, h('label', { for: zone.id }, 'Time zone'), zone), rows.map((r) => r.el));
  const error = h('small', { class: 'field-error', role: 'alert', hidden: true });
  const sync = () => { weekly.hidden = !set.checked; };
  always.addEventListener('change', sync);
  set.addEventListener('change', sync);
  sync();
  return {
    el: h('fieldset', { class: 'radio-group' }, h('legend', {}, 'Opening hours'),
      h('label', { class: 'check' }, always, h('span', {}, h('strong', {}, 'Always open'))),
      h('label', { class: 'check' }, set, h('span', {}, h('strong', {}, 'Set hours'),
        h('small', {}, 'In your time zone; daylight saving follows it. A close before the open runs past midnight.'))),
      weekly, error),
    value: () => (always.checked ? null : {
      time_zone: zone.value,
      weekly: rows.filter((r) => r.open.checked).map((r) => ({ day: r.day, open: r.from.value, close: r.to.value })),
    }),
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
    },
  };
}

/** The account's welcome messages: which greets by default, and editing each. */
function welcomeSection(initial, onChange) {
  let welcomes = initial;
  const list = h('ul', { class: 'biz-list', 'aria-label': 'Welcome messages' });
  const section = h('section', { class: 'section', 'aria-labelledby': 'biz-welcome' },
    h('h2', { id: 'biz-welcome' }, 'Welcome messages'),
    h('p', { class: 'hint' }, 'Greet people when they open a conversation with you: the default on first contact, or one a DM link chooses.'),
    list,
    h('button', { class: 'btn accent', type: 'button', onclick: () => welcomeEditor(null, saved) }, 'New welcome message'));

  async function saved() {
    welcomes = (await get('/welcome_messages')).welcome_messages;
    draw();
    onChange(welcomes);
  }

  function draw() {
    list.replaceChildren(...(welcomes.length ? welcomes.map(row)
      : [h('li', { class: 'muted' }, 'No welcome messages yet. Your account must accept messages from everyone (support does).')]));
  }

  function row(w) {
    return h('li', { class: 'biz-row' },
      h('div', { class: 'grow' }, h('strong', {}, w.name, w.default && h('span', { class: 'pill' }, 'Default')),
        h('small', { class: 'muted' }, w.message_data.text)),
      h('div', { class: 'buttons' },
        h('button', { class: 'btn', type: 'button', 'aria-label': `Edit ${w.name}`, onclick: () => welcomeEditor(w, saved) }, 'Edit'),
        !w.default && h('button', {
          class: 'btn', type: 'button', 'aria-label': `Make ${w.name} the default`,
          onclick: async () => (await attempt(() => put('/welcome_messages/default', { welcome_message_id: w.id }), `${w.name} greets people now`)) && saved(),
        }, 'Make default'),
        h('button', {
          class: 'btn danger', type: 'button', 'aria-label': `Delete ${w.name}`,
          onclick: async () => (await attempt(() => del(`/welcome_messages/${q(w.id)}`), 'Welcome message deleted')) && saved(),
        }, 'Delete')));
  }

  draw();
  return section;
}

/** The names and pictures agents and bots answer as ("Maria from Support"). */
function profilesSection(initial) {
  let profiles = initial;
  const list = h('ul', { class: 'biz-list', 'aria-label': 'Custom profiles' });
  const name = formField('name', 'Name', { maxlength: 48, required: true }, 'Up to 48 characters, as people will see it.',
    { id: 'profile-name' });
  const file = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', class: 'input', id: 'profile-photo' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const add = h('button', { class: 'btn accent', type: 'submit' }, 'Add profile');

  function draw() {
    list.replaceChildren(...(profiles.length ? profiles.map((p) => h('li', { class: 'biz-row' },
      avatar({ id: `profile-${p.id}`, name: p.name, avatar_url: p.avatar_url }),
      h('strong', { class: 'grow ellipsis', title: p.name }, p.name),
      h('button', {
        class: 'btn danger', type: 'button', 'aria-label': `Delete ${p.name}`,
        onclick: async () => {
          if (await attempt(() => del(`/custom_profiles/${q(p.id)}`), `${p.name} deleted`)) {
            profiles = profiles.filter((x) => x.id !== p.id);
            draw();
          }
        },
      }, 'Delete')))
      : [h('li', { class: 'muted' }, 'No custom profiles yet.')]));
  }

  draw();
  return h('form', {
    class: 'section', 'aria-labelledby': 'biz-profiles',
    onsubmit: async (e) => {
      e.preventDefault();
      add.disabled = true;
      try {
        const media = file.files[0] ? await uploadMedia(file.files[0]) : null;
        const made = await post('/custom_profiles', { name: name.input.value.trim(), ...(media ? { media_id: media.id } : {}) });
        profiles = [...profiles, made];
        draw();
        name.input.value = '';
        file.value = '';
        name.setError(null);
        error.hidden = true;
        toast(`${made.name} can answer now`);
      } catch (err) {
        showFormError(err, [name], error);
      } finally {
        add.disabled = false;
      }
    },
  },
  h('h2', { id: 'biz-profiles' }, 'Custom profiles'),
  h('p', { class: 'hint' }, 'Messages sent as a profile show its name and picture. Choose one in a conversation’s composer.'),
  list, h('h3', {}, 'Add a profile'), error, name.el,
  h('div', { class: 'field' }, h('label', { for: file.id }, 'Picture (optional)'), file), add);
}

/** A DM link to the account, with a welcome message and text of its choosing, to copy. */
function linkSection(initial) {
  const welcome = h('select', { class: 'input', id: 'link-welcome' });
  const text = formField('link-text', 'Pre-filled message (optional)', { maxlength: 1000 });
  const out = h('input', { class: 'input', id: 'link-out', readonly: true });
  const setWelcomes = (welcomes) => {
    const was = welcome.value;
    welcome.replaceChildren(h('option', { value: '' }, 'The default (if any)'),
      ...welcomes.map((w) => h('option', { value: w.id, selected: w.id === was }, w.name)));
    build();
  };
  function build() {
    const params = new URLSearchParams({ recipient_id: app.me.id });
    if (welcome.value) params.set('welcome_message_id', welcome.value);
    if (text.input.value.trim()) params.set('text', text.input.value.trim());
    // So the conversations it starts count as from a DM link in insights.
    params.set('source', 'deep_link');
    out.value = `${location.origin}/messages/compose?${params}`;
  }
  welcome.addEventListener('change', build);
  text.input.addEventListener('input', build);
  setWelcomes(initial);
  const copy = h('button', {
    class: 'btn primary', type: 'button',
    onclick: () => attempt(() => navigator.clipboard.writeText(out.value), 'Link copied'),
  }, 'Copy link');
  return {
    setWelcomes,
    el: h('section', { class: 'section', 'aria-labelledby': 'biz-link' },
      h('h2', { id: 'biz-link' }, 'DM link'),
      h('p', { class: 'hint' }, 'Put it on your website or in a post: it opens a conversation with you, greeted by the welcome message you choose.'),
      h('div', { class: 'field' }, h('label', { for: welcome.id }, 'Welcome message'), welcome),
      text.el,
      h('div', { class: 'field' }, h('label', { for: out.id }, 'Link'), out),
      copy),
  };
}
