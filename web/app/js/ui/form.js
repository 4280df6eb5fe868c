// Form fields whose errors stand beside them, in plain words: the API names the field a
// refusal is about (`error.field`), and its message ("password: must be 8 to 1024
// characters, got 5") is reworded for a person. What was typed stays.

import { h } from '../dom.js';

/**
 * A labelled input (a text area with `multiline`) with an optional hint and a place for its
 * error. `id` tells apart two forms on one page whose fields have the same name.
 */
export function formField(name, label, attrs, hint, { multiline = false, id = `field-${name}` } = {}) {
  const error = h('small', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describedBy = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  const input = multiline
    ? h('textarea', { class: 'textarea', id, name, 'aria-describedby': describedBy, ...attrs })
    : h('input', { class: 'input', id, name, 'aria-describedby': describedBy, ...attrs });
  return {
    name,
    input,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), input,
      hint && h('small', { class: 'hint', id: `${id}-hint` }, hint), error),
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

/**
 * Shows `err` beside the field it names (focusing it), or in `formError` when it names
 * none of `fields`. `overrides` maps an error code to `[field name, message]`.
 */
export function showFormError(err, fields, formError, overrides = {}) {
  for (const f of fields) f.setError(null);
  formError.hidden = true;
  const [fieldName, message] = overrides[err.code] || [err.field, plainMessage(err)];
  const field = fields.find((f) => f.name === fieldName);
  if (field) {
    field.setError(message);
    field.input.focus();
  } else {
    formError.textContent = message;
    formError.hidden = false;
    // In a long form (a dialog that scrolls) the error is where the person is not looking.
    formError.scrollIntoView?.({ block: 'nearest' });
  }
}

/** The API's message for a person: without the field's name in front, as a sentence. */
export function plainMessage(err) {
  let text = err.message || '';
  if (err.field && text.startsWith(`${err.field}: `)) text = text.slice(err.field.length + 2);
  const range = /^must be (\d+) to (\d+) characters, got (\d+)$/.exec(text);
  if (range) text = `use ${range[1]} to ${range[2]} characters (this has ${range[3]})`;
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
