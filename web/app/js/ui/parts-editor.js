// Editing a message's quick replies and buttons (SPEC §4.2, §4.3), as a business composes a
// message or a welcome message: options with a label and an optional description, buttons
// that open a page, follow an account or start a conversation. The server checks every limit
// and names the field it refuses; these inputs only keep people inside the lengths.

import { get, q } from '../api.js';
import { h, icon } from '../dom.js';

export const OPTIONS_MAX = 20;
export const BUTTONS_MAX = 3;
const KINDS = [['url', 'Open a web page'], ['follow', 'Follow an account'], ['message', 'Message an account']];
let editors = 0;

/** A tap's metadata, which bots read: the label, as a lower-case word list. */
function metadataFor(label, i) {
  const slug = label.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return slug || `option-${i + 1}`;
}

/**
 * `initial`: `{ quick_reply?, ctas? }` as the API has them. Returns `{ el, value, empty }`:
 * `value()` resolves the parts as a send takes them (screen names looked up), `empty()` says
 * whether anything was added.
 */
export function partsEditor(initial = {}) {
  const n = ++editors;
  const options = [];
  const buttons = [];
  const optionList = h('ol', { class: 'edit-list', 'aria-label': 'Quick reply options' });
  const buttonList = h('ol', { class: 'edit-list', 'aria-label': 'Buttons' });
  const addOption = h('button', { class: 'btn', type: 'button', onclick: () => focusLast(optionRow()) }, 'Add option');
  const addButton = h('button', { class: 'btn', type: 'button', onclick: () => focusLast(buttonRow()) }, 'Add button');

  function focusLast(row) {
    row.querySelector('input')?.focus();
  }

  function refresh() {
    addOption.disabled = options.length >= OPTIONS_MAX;
    addButton.disabled = buttons.length >= BUTTONS_MAX;
    options.forEach((o, i) => { o.legend.textContent = `Option ${i + 1}`; });
    buttons.forEach((b, i) => { b.legend.textContent = `Button ${i + 1}`; });
  }

  function removable(list, rows, row, entry, what) {
    return h('button', {
      class: 'icon-btn', type: 'button', 'aria-label': `Remove ${what}`,
      onclick: () => {
        rows.splice(rows.indexOf(entry), 1);
        row.remove();
        refresh();
        list.closest('.parts-editor')?.querySelector('button')?.focus();
      },
    }, icon('close'));
  }

  function optionRow(o = {}) {
    const id = `pe${n}-o${options.length}-${Math.random().toString(36).slice(2, 6)}`;
    const label = h('input', { class: 'input', id: `${id}-label`, maxlength: 36, value: o.label || '', required: true });
    const description = h('input', { class: 'input', id: `${id}-desc`, maxlength: 72, value: o.description || '' });
    const legend = h('legend', {});
    const entry = { legend, label, description, metadata: o.metadata };
    const row = h('li', {}, h('fieldset', { class: 'edit-row' }, legend,
      h('div', { class: 'edit-fields' },
        h('label', { for: label.id }, 'Label', label),
        h('label', { for: description.id }, 'Description (optional)', description))));
    row.firstChild.append(removable(optionList, options, row, entry, 'this option'));
    options.push(entry);
    optionList.append(row);
    refresh();
    return row;
  }

  function buttonRow(b = { type: 'url' }) {
    const id = `pe${n}-b${buttons.length}-${Math.random().toString(36).slice(2, 6)}`;
    const kind = h('select', { class: 'input', id: `${id}-type` },
      KINDS.map(([value, text]) => h('option', { value, selected: b.type === value }, text)));
    const label = h('input', { class: 'input', id: `${id}-label`, maxlength: 36, value: b.label || '', required: true });
    const target = h('input', { class: 'input', id: `${id}-target` });
    const targetLabel = h('span', {});
    const legend = h('legend', {});
    const entry = { legend, kind, label, target, recipientId: b.recipient_id, welcomeId: b.welcome_message_id };
    target.value = b.url || (b.screen_name ? `@${b.screen_name}` : '');
    if (b.type === 'message' && b.recipient_id) {
      get(`/users/${q(b.recipient_id)}`).then((u) => { target.value ||= `@${u.screen_name}`; }, () => {});
    }
    const relabel = () => {
      const url = kind.value === 'url';
      targetLabel.textContent = url ? 'Web address' : 'Account (@name)';
      target.type = url ? 'url' : 'text';
      target.placeholder = url ? 'https://example.com/help' : '@name';
    };
    kind.addEventListener('change', relabel);
    relabel();
    const row = h('li', {}, h('fieldset', { class: 'edit-row' }, legend,
      h('div', { class: 'edit-fields' },
        h('label', { for: kind.id }, 'Does', kind),
        h('label', { for: label.id }, 'Label', label),
        h('label', { for: target.id }, targetLabel, target))));
    row.firstChild.append(removable(buttonList, buttons, row, entry, 'this button'));
    buttons.push(entry);
    buttonList.append(row);
    refresh();
    return row;
  }

  for (const o of initial.quick_reply?.options || []) optionRow(o);
  for (const b of initial.ctas || []) buttonRow(b);
  refresh();

  async function ctaOf(b) {
    const label = b.label.value.trim();
    const target = b.target.value.trim();
    if (b.kind.value === 'url') return { type: 'url', label, url: target };
    const name = target.replace(/^@/, '');
    if (b.kind.value === 'follow') return { type: 'follow', label, screen_name: name };
    const user = await get(`/users/by/screen_name/${q(name)}`).catch(() => null);
    if (!user) throw Object.assign(new Error(`No account is called @${name}.`), { field: 'ctas' });
    return { type: 'message', label, recipient_id: user.id, ...(b.welcomeId ? { welcome_message_id: b.welcomeId } : {}) };
  }

  return {
    el: h('div', { class: 'parts-editor' },
      h('h3', {}, 'Quick replies'),
      h('p', { class: 'hint' }, 'Options the person can tap to answer. Up to 20.'),
      optionList, addOption,
      h('h3', {}, 'Buttons'),
      h('p', { class: 'hint' }, 'Up to 3, under the message.'),
      buttonList, addButton),
    empty: () => options.length === 0 && buttons.length === 0,
    async value() {
      const parts = {};
      if (options.length) {
        parts.quick_reply = {
          type: 'options',
          options: options.map((o, i) => ({
            label: o.label.value.trim(),
            ...(o.description.value.trim() ? { description: o.description.value.trim() } : {}),
            metadata: o.metadata || metadataFor(o.label.value, i),
          })),
        };
      }
      if (buttons.length) parts.ctas = await Promise.all(buttons.map(ctaOf));
      return parts;
    },
  };
}
