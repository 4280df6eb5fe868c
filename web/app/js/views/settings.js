// /settings: profile photo and profile, who can message me, read receipts, quality filter,
// the way to business settings and to apps (connected and your own), and the blocked and muted accounts. Choices save as they are made.

import { del, get, patch, put, uploadMedia } from '../api.js';
import { app, attempt, avatar, remember, toast } from '../app.js';
import { h } from '../dom.js';
import { formField, plainMessage, showFormError } from '../ui/form.js';

/** What the server can cut an avatar from. */
const PHOTO_TYPES = 'image/jpeg,image/png,image/webp,image/gif';

const WHO = [
  ['following', 'People you follow', 'Only accounts you follow can message you.'],
  ['verified', 'People you follow and verified accounts', 'Verified accounts you don’t follow arrive as message requests.'],
  ['everyone', 'Everyone', 'Anyone can message you; people you don’t follow arrive as message requests.'],
];

export function settingsView() {
  const body = h('div', {});
  const el = h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Settings')), body));
  document.title = 'Settings · Postern';

  async function load() {
    const [settings, blocks, mutes] = await Promise.all([get('/me/settings'), get('/me/blocks?limit=100'), get('/me/mutes?limit=100')]);
    app.store.reduce({ type: 'settings', settings });
    body.replaceChildren(photoSection(), profileSection(), privacySection(settings), businessSection(),
      appsSection(),
      accountsSection('Blocked accounts', blocks.users, 'blocks', 'Unblock'),
      accountsSection('Muted accounts', mutes.users, 'mutes', 'Unmute'));
  }

  /** The picture beside your name everywhere: pick an image (its middle square is used). */
  function photoSection() {
    const section = h('section', { class: 'section', 'aria-labelledby': 'set-photo' });
    const error = h('small', { class: 'field-error', id: 'set-photo-error', role: 'alert', hidden: true });
    const file = h('input', {
      type: 'file', accept: PHOTO_TYPES, class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true',
      onchange: () => file.files[0] && change(async () => {
        const media = await uploadMedia(file.files[0]);
        return put('/me/avatar', { media_id: media.id });
      }, 'Photo updated'),
    });
    async function change(action, done) {
      error.hidden = true;
      for (const b of section.querySelectorAll('button')) b.disabled = true;
      section.setAttribute('aria-busy', 'true');
      try {
        app.me = remember(await action());
        toast(done);
        draw();
      } catch (err) {
        error.textContent = plainMessage(err);
        error.hidden = false;
        for (const b of section.querySelectorAll('button')) b.disabled = false;
      } finally {
        section.removeAttribute('aria-busy');
        file.value = '';
      }
    }
    function draw() {
      const has = Boolean(app.me.avatar_url);
      section.replaceChildren(h('h2', { id: 'set-photo' }, 'Profile photo'),
        h('div', { class: 'photo-row' }, avatar(app.me, 'large'),
          h('div', { class: 'photo-actions' },
            h('button', { class: 'btn', type: 'button', 'aria-describedby': 'set-photo-hint set-photo-error', onclick: () => file.click() },
              has ? 'Change photo' : 'Upload photo'),
            has && h('button', { class: 'btn danger', type: 'button', onclick: () => change(() => del('/me/avatar'), 'Photo removed') }, 'Remove photo'),
            h('small', { class: 'hint', id: 'set-photo-hint' }, 'A JPEG, PNG, WebP or GIF. The middle square is shown.'),
            error)),
        file);
    }
    draw();
    return section;
  }

  function profileSection() {
    const nameField = formField('name', 'Name', { value: app.me.name, maxlength: 50, autocomplete: 'name' });
    const bioField = formField('description', 'Bio', { rows: 3, maxlength: 160 }, 'Up to 160 characters.', { multiline: true });
    const [name, bio] = [nameField.input, bioField.input];
    bio.value = app.me.description || '';
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const save = h('button', { class: 'btn primary', type: 'submit' }, 'Save profile');
    return h('form', {
      class: 'section', 'aria-labelledby': 'set-profile',
      onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        save.disabled = true;
        try {
          app.me = remember(await patch('/me', { name: name.value.trim(), description: bio.value }));
          for (const f of [nameField, bioField]) f.setError(null);
          toast('Profile saved');
        } catch (err) {
          showFormError(err, [nameField, bioField], error);
        } finally {
          save.disabled = false;
        }
      },
    },
    h('h2', { id: 'set-profile' }, 'Profile'), error, nameField.el, bioField.el, save);
  }

  function privacySection(settings) {
    const saveSetting = (patchBody) => attempt(async () => {
      app.store.reduce({ type: 'settings', settings: await patch('/me/settings', patchBody) });
    }, 'Settings saved');
    const radios = WHO.map(([value, label, hint]) => h('label', { class: 'check' },
      h('input', {
        type: 'radio', name: 'allow_dms_from', value, checked: settings.allow_dms_from === value,
        onchange: () => saveSetting({ allow_dms_from: value }),
      }),
      h('span', {}, h('strong', {}, label), h('small', {}, hint))));
    const toggle = (key, label, hint) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: settings[key], onchange: (e) => saveSetting({ [key]: e.target.checked }) }),
      h('span', {}, h('strong', {}, label), h('small', {}, hint)));
    return h('section', { class: 'section', 'aria-labelledby': 'set-privacy' },
      h('h2', { id: 'set-privacy' }, 'Direct messages'),
      h('fieldset', { class: 'radio-group' }, h('legend', {}, 'Allow messages from'), radios),
      toggle('read_receipts', 'Show read receipts', 'When someone messages you, they see when you’ve read it. Off means you don’t see theirs either.'),
      toggle('quality_filter', 'Filter low-quality messages', 'Requests that look like spam go to a separate filtered list.'));
  }

  function businessSection() {
    return h('section', { class: 'section', 'aria-labelledby': 'set-business' },
      h('h2', { id: 'set-business' }, 'Business'),
      h('p', { class: 'muted' }, 'Support hours and away message, welcome messages, custom profiles and DM links.'),
      h('a', { class: 'btn', href: '/i/business' }, 'Business settings'));
  }

  function appsSection() {
    return h('section', { class: 'section', 'aria-labelledby': 'set-apps' },
      h('h2', { id: 'set-apps' }, 'Apps'),
      h('p', { class: 'muted' }, 'Apps you let use your account, apps you build with Postern’s Twitter-compatible APIs, and webhooks that send your events to your own server.'),
      h('a', { class: 'btn', href: '/i/connected_apps' }, 'Connected apps'), ' ',
      h('a', { class: 'btn', href: '/i/apps' }, 'Your apps'), ' ',
      h('a', { class: 'btn', href: '/i/webhooks' }, 'Webhooks'));
  }

  function accountsSection(title, users, kind, undo) {
    const id = `set-${kind}`;
    const list = h('div', {});
    const render = (people) => list.replaceChildren(...(people.length ? people.map((u) => h('div', { class: 'account-row' },
      avatar(u),
      h('a', { class: 'who', href: `/${u.screen_name}` }, h('strong', {}, u.name), h('small', {}, `@${u.screen_name}`)),
      h('button', {
        class: 'btn', type: 'button', 'aria-label': `${undo} @${u.screen_name}`,
        onclick: async () => {
          if (await attempt(() => del(`/me/${kind}/${u.id}`), `${kind === 'blocks' ? 'Unblocked' : 'Unmuted'} @${u.screen_name}`)) {
            render(people.filter((p) => p.id !== u.id));
          }
        },
      }, undo))) : [h('p', { class: 'muted' }, kind === 'blocks' ? 'You haven’t blocked anyone.' : 'You haven’t muted anyone.')]));
    render(users);
    return h('section', { class: 'section', 'aria-labelledby': id }, h('h2', { id }, title), list);
  }

  load().catch((e) => body.replaceChildren(h('p', { class: 'empty' }, e.message)));
  return { el };
}
