// Writing a post, in a dialog: from the navigation's Post button, the post intent
// (`/intent/post?text=&url=`, a post button's target), or as a public reply. A reply can carry
// "Send a private message" (a DM link to you): what a brand offers someone who doesn't take
// its messages. A business can put one of its DM cards on the post.

import { get, post } from '../api.js';
import { toast } from '../app.js';
import { h } from '../dom.js';
import { modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';
import { postElement } from '../ui/post.js';

const POST_MAX = 280;

/**
 * `text`: what to start with; `replyTo`: `{ post, author }` being answered; `dmButton`: the
 * private-message button starts checked. Resolves with the post made, or null.
 */
export function openPostComposer({ text = '', replyTo = null, dmButton = false } = {}) {
  return new Promise((resolve) => {
    let made = null;
    const field = formField('text', replyTo ? 'Your reply' : 'What’s happening?', { rows: 4, maxlength: POST_MAX * 2 },
      null, { multiline: true, id: 'post-text' });
    field.input.value = text;
    const counter = h('small', { class: 'hint', 'aria-live': 'polite' });
    const withButton = h('input', { type: 'checkbox', id: 'post-dm-button', checked: dmButton });
    // A business's DM cards, to put one on the post.
    const cardField = h('div', { class: 'field', hidden: true });
    const cardPick = h('select', { class: 'input', id: 'post-card' }, h('option', { value: '' }, 'No card'));
    get('/dm_cards').then(({ dm_cards: cards }) => {
      if (!cards.length) return;
      cardPick.append(...cards.map((c) => h('option', { value: c.id }, `${c.name}: ${c.headline}`)));
      cardField.append(h('label', { for: cardPick.id }, 'DM card'), cardPick);
      cardField.hidden = false;
    }, () => {});
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const send = h('button', { class: 'btn primary', type: 'button', onclick: submit }, replyTo ? 'Reply' : 'Post');
    const count = () => {
      const left = POST_MAX - [...field.input.value.normalize('NFC')].length;
      counter.textContent = left < 0 ? `${-left} over the limit` : `${left} left`;
      send.disabled = left < 0 || !field.input.value.trim();
    };
    field.input.addEventListener('input', count);
    count();
    const dialog = modal(replyTo ? `Reply to ${replyTo.author?.name || 'this post'}` : 'New post', [
      error,
      replyTo && postElement(replyTo.post, replyTo.author, { compact: true }),
      field.el, counter,
      h('label', { class: 'check', for: withButton.id }, withButton,
        h('span', {}, h('strong', {}, 'Add “Send a private message”'),
          h('small', {}, 'A button under the post that opens a conversation with you.'))),
      cardField,
    ], [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), send],
    { onClose: () => resolve(made) });
    field.input.focus();
    field.input.setSelectionRange(field.input.value.length, field.input.value.length);

    async function submit() {
      send.disabled = true;
      try {
        made = await post('/posts', {
          text: field.input.value,
          ...(replyTo ? { reply_to_id: replyTo.post.id } : {}),
          ...(withButton.checked ? { dm_button: {} } : {}),
          ...(cardPick.value ? { card_id: cardPick.value } : {}),
        });
        toast(replyTo ? 'Reply posted' : 'Posted');
        dialog.close();
      } catch (err) {
        showFormError(err, [field], error);
        count();
      }
    }
  });
}
