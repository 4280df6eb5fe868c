// Business settings' DM cards and surveys: make a card (a photo, a headline, a button per
// welcome message) and see what each measured; read what feedback surveys say.

import { del, get, post, q, uploadMedia } from '../api.js';
import { attempt, toast } from '../app.js';
import { h } from '../dom.js';
import { formField, showFormError } from '../ui/form.js';

const BUTTONS_MAX = 4;

/** The account's DM cards with their numbers, and a form for a new one. */
export function cardsSection(welcomes) {
  const list = h('ul', { class: 'biz-list', 'aria-label': 'DM cards' });
  const name = formField('name', 'Name', { maxlength: 100, required: true }, 'For you: people see the headline.', { id: 'card-name' });
  const headline = formField('headline', 'Headline', { maxlength: 70, required: true }, 'Up to 70 characters.', { id: 'card-headline' });
  const file = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,video/mp4', class: 'input', id: 'card-media', required: true });
  const rows = h('div', { class: 'card-buttons-edit' });
  const buttons = [];
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const add = h('button', { class: 'btn', type: 'button', onclick: () => buttonRow() }, 'Add button');
  const make = h('button', { class: 'btn accent', type: 'submit' }, 'Make card');

  function buttonRow() {
    if (buttons.length >= BUTTONS_MAX) return;
    const n = buttons.length + 1;
    const label = h('input', { class: 'input', maxlength: 24, 'aria-label': `Button ${n} label`, placeholder: 'Label (up to 24)' });
    const welcome = h('select', { class: 'input', 'aria-label': `Button ${n} welcome message` },
      welcomes.map((w) => h('option', { value: w.id }, w.name)));
    buttons.push({ label, welcome });
    rows.append(h('div', { class: 'card-button-row' }, label, welcome));
    add.disabled = buttons.length >= BUTTONS_MAX;
    label.focus();
  }

  async function draw() {
    const { dm_cards: cards } = await get('/dm_cards');
    list.replaceChildren(...(cards.length ? cards.map((c) => h('li', { class: 'biz-row' },
      h('div', { class: 'grow' },
        h('strong', {}, c.name),
        h('small', { class: 'muted' }, `${c.headline} · ${c.stats.impressions} seen · ${c.stats.clicks.reduce((a, b) => a + b, 0)} clicks · ${c.stats.conversations} conversations`)),
      h('button', {
        class: 'btn danger', type: 'button', 'aria-label': `Delete ${c.name}`,
        onclick: async () => (await attempt(() => del(`/dm_cards/${q(c.id)}`), 'Card deleted')) && draw(),
      }, 'Delete')))
      : [h('li', { class: 'muted' }, 'No cards yet. A card goes on a post: people tap a button to message you.')]));
  }

  const form = h('form', {
    class: 'section', 'aria-labelledby': 'biz-cards',
    onsubmit: async (e) => {
      e.preventDefault();
      make.disabled = true;
      try {
        if (!welcomes.length) throw new Error('Make a welcome message first: each button opens one.');
        if (!file.files[0]) throw new Error('Choose a photo or video for the card.');
        // Shared, so it can be shown to everyone who sees the card.
        const media = await uploadMedia(file.files[0], undefined, { shared: true });
        await post('/dm_cards', {
          name: name.input.value.trim(),
          headline: headline.input.value.trim(),
          media_id: media.id,
          buttons: buttons.map((b) => ({ label: b.label.value.trim(), welcome_message_id: b.welcome.value })),
        });
        toast('Card made: attach it to a post');
        error.hidden = true;
        draw();
      } catch (err) {
        showFormError(err, [name, headline], error);
      } finally {
        make.disabled = false;
      }
    },
  },
  h('h2', { id: 'biz-cards' }, 'DM cards'),
  h('p', { class: 'hint' }, 'A photo or video with a headline and up to four buttons, each opening a conversation with you on its own welcome message.'),
  list, h('h3', {}, 'New card'), error, name.el, headline.el,
  h('div', { class: 'field' }, h('label', { for: file.id }, 'Photo or video'), file),
  h('p', { class: 'field-caption' }, 'Buttons: a label, and the welcome message it opens'),
  rows, add, make);
  buttonRow();
  draw().catch(() => {});
  return form;
}

/** What feedback surveys say: CSAT and NPS, sent, answered, scores. */
export function surveysSection() {
  const body = h('div', { class: 'survey-results' });
  const section = h('section', { class: 'section', 'aria-labelledby': 'biz-surveys' },
    h('h2', { id: 'biz-surveys' }, 'Feedback'),
    h('p', { class: 'hint' }, 'Send a survey from a conversation’s menu. Answers come back here.'),
    body);
  (async () => {
    const [csat, nps] = await Promise.all([get('/feedback/results?type=csat'), get('/feedback/results?type=nps')]);
    body.replaceChildren(result('CSAT', csat, csat.csat, '% satisfied'), result('NPS', nps, nps.nps, ''));
  })().catch((e) => body.replaceChildren(h('p', { class: 'muted' }, e.message)));
  return section;
}

function result(title, r, score, unit) {
  return h('div', { class: 'survey-result' },
    h('strong', {}, title),
    h('span', { class: 'big-number' }, score === undefined || score === null ? '—' : `${score}${unit}`),
    h('small', { class: 'muted' }, `${r.responses} of ${r.requests} answered`));
}
