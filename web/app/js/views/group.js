// A group's members and name: the dialogs the conversation menu opens.

import { limits, patch, q } from '../api.js';
import { app, avatar, toast } from '../app.js';
import { h } from '../dom.js';
import { modal } from '../ui/dialog.js';
import { formField, showFormError } from '../ui/form.js';
import { newMessageDialog } from './new-message.js';

/** The members, you first, each linking to their profile; Add people below them. */
export function membersDialog(conversation, { onAdded }) {
  const people = [...conversation.participants].sort((a, b) => (a.id === app.me.id ? -1 : b.id === app.me.id ? 1 : a.name.localeCompare(b.name)));
  const list = h('ul', { class: 'people', 'aria-label': 'Members' }, people.map((u) => h('li', {},
    h('a', { class: 'person', href: `/${u.screen_name}` },
      avatar(u),
      h('span', { class: 'who' }, h('strong', {}, u.id === app.me.id ? `${u.name} (you)` : u.name), h('small', {}, `@${u.screen_name}`))))));
  const dialog = modal(`Members · ${people.length}`, list, [
    h('button', { class: 'btn primary', type: 'button', onclick: () => { dialog.close(); addPeopleDialog(conversation, { onAdded }); } }, 'Add people'),
  ]);
  list.addEventListener('click', (e) => { if (e.target.closest('a')) dialog.close(); });
}

/** The New message picker, adding to this group; `onAdded` hears when anyone was added. */
export function addPeopleDialog(conversation, { onAdded }) {
  newMessageDialog({ group: conversation, onAdded });
}

/** Renames the group; `onRenamed(conversation)` gets it as the server now has it. */
export function renameDialog(conversation, { onRenamed }) {
  const field = formField('group-name', 'Group name', { value: conversation.name || '', maxlength: limits.group_name_chars, autocomplete: 'off' });
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { class: 'btn primary', type: 'submit' }, 'Save');
  const form = h('form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      save.disabled = true;
      try {
        onRenamed(await patch(`/conversations/${q(conversation.id)}`, { name: field.input.value.trim() }));
        dialog.close();
        toast('Group renamed');
      } catch (err) {
        const named = err.field === 'name' ? 'group-name' : err.field;
        showFormError({ code: err.code, field: named, message: err.message.replace(/^name: /, '') }, [field], formError);
      } finally {
        save.disabled = false;
      }
    },
  }, formError, field.el, h('div', { class: 'dialog-foot-inline' }, save));
  const dialog = modal('Rename group', form);
  field.input.select();
}
