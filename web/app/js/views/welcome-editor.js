// Creating or editing a welcome message, in a dialog: its name, what it says, its quick
// replies and buttons, and beside them (below, on a phone) a preview of it as a customer
// will see it.

import { patch, post, q } from '../api.js';
import { app, toast } from '../app.js';
import { h } from '../dom.js';
import { modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';
import { partsEditor } from '../ui/parts-editor.js';
import { welcomeElement } from '../ui/welcome.js';

/** `welcome`: the one to edit, or null for a new one; `saved()` is called after a save. */
export function welcomeEditor(welcome, saved) {
  const name = formField('name', 'Name', { maxlength: 100, required: true, value: welcome?.name || '' },
    'For you: people never see it.', { id: 'welcome-name' });
  const text = formField('message_data.text', 'Message', { rows: 4, maxlength: 9990 }, null,
    { multiline: true, id: 'welcome-text' });
  text.input.value = welcome?.message_data.text || '';
  const parts = partsEditor(welcome?.message_data || {});
  const preview = h('div', { class: 'welcome-preview', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });

  async function drawPreview() {
    const data = { text: text.input.value, ...(await parts.value().catch(() => ({}))) };
    preview.replaceChildren(h('h3', {}, 'Preview'),
      data.text.trim() ? welcomeElement({ message_data: data }, app.me, () => {}) : h('p', { class: 'muted' }, 'Write a message to see it here.'));
    for (const b of preview.querySelectorAll('button, a')) b.setAttribute('tabindex', '-1');
  }
  let pending = 0;
  const later = () => {
    clearTimeout(pending);
    pending = setTimeout(drawPreview, 250);
  };
  for (const input of [text.input, parts.el]) input.addEventListener('input', later);
  parts.el.addEventListener('click', later);
  drawPreview();

  const save = h('button', {
    class: 'btn primary', type: 'button',
    onclick: async () => {
      save.disabled = true;
      try {
        const body = { name: name.input.value.trim(), message_data: { text: text.input.value, ...(await parts.value()) } };
        if (welcome) await patch(`/welcome_messages/${q(welcome.id)}`, body);
        else await post('/welcome_messages', body);
        dialog.close();
        toast(welcome ? 'Welcome message saved' : 'Welcome message created');
        saved();
      } catch (err) {
        showFormError(err, [name, text], error);
      } finally {
        save.disabled = false;
      }
    },
  }, welcome ? 'Save' : 'Create');
  const dialog = modal(welcome ? `Edit ${welcome.name}` : 'New welcome message',
    h('div', { class: 'welcome-editor' }, h('div', {}, error, name.el, text.el, parts.el), preview),
    [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), save],
    { wide: true });
  name.input.focus();
}
