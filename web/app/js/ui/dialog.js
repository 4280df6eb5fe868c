// Modal dialogs on the native <dialog> element: it traps focus, closes on Escape and gives
// focus back to what opened it, which is what keyboard and screen-reader users need.

import { post } from '../api.js';
import { toast } from '../app.js';
import { h, icon } from '../dom.js';

/** A dialog with a title, body and footer (`wide` for an editor); returns it, open. */
export function modal(title, body, foot, { onClose, wide = false } = {}) {
  const id = `dialog-${Math.random().toString(36).slice(2)}`;
  const dialog = h('dialog', { 'aria-labelledby': id, class: wide ? 'wide' : null },
    h('div', { class: 'dialog-head' },
      h('h2', { id }, title),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('close'))),
    h('div', { class: 'dialog-body' }, body),
    foot && h('div', { class: 'dialog-foot' }, foot));
  dialog.addEventListener('close', () => {
    onClose?.();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Resolves true if the person confirms. */
export function confirmDialog({ title, text, confirm, danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h('button', {
      class: `btn ${danger ? 'danger' : 'primary'}`, type: 'button',
      onclick: () => { answer = true; dialog.close(); },
    }, confirm);
    const cancel = h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel');
    const dialog = modal(title, h('p', {}, text), [cancel, ok], { onClose: () => resolve(answer) });
    ok.focus();
  });
}

const REASONS = [
  ['spam', 'It’s spam'],
  ['abuse', 'It’s abusive or harassing'],
  ['harmful', 'It expresses intentions of self-harm or harm to others'],
  ['impersonation', 'It’s pretending to be someone else'],
  ['other', 'Something else'],
];

/** Asks why, then files the report. `targetType`: user | message | conversation. */
export function reportDialog(targetType, targetId, what) {
  return new Promise((resolve) => {
    let filed = false;
    const name = `reason-${Math.random().toString(36).slice(2)}`;
    const choices = REASONS.map(([value, label], i) =>
      h('label', { class: 'check' }, h('input', { type: 'radio', name, value, checked: i === 0 }), h('span', {}, label)));
    const details = h('textarea', { class: 'textarea', rows: 3, maxlength: 1000, 'aria-label': 'Details (optional)', placeholder: 'Details (optional)' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const submit = h('button', { class: 'btn danger', type: 'button', onclick: send }, 'Report');
    const dialog = modal(`Report ${what}`,
      [error, h('fieldset', { class: 'radio-group' }, h('legend', {}, 'What’s wrong?'), choices), details],
      [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), submit],
      { onClose: () => resolve(filed) });
    async function send() {
      const picked = dialog.querySelector(`input[name="${name}"]:checked`).value;
      const reason = details.value.trim() ? `${picked}: ${details.value.trim()}` : picked;
      submit.disabled = true;
      try {
        await post('/reports', { target_type: targetType, target_id: targetId, reason });
        filed = true;
        dialog.close();
        toast('Thanks. Your report was sent.');
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        submit.disabled = false;
      }
    }
  });
}
