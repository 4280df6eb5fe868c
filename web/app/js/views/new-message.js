// "New message": search people, pick one for a 1:1 or several for a group (with an optional
// name), then Next opens the conversation. With `group`, the same picker adds people to it.

import { get, limits, post, q } from '../api.js';
import { app, avatar, remember } from '../app.js';
import { h, icon, verifiedMark } from '../dom.js';
import { modal } from '../ui/dialog.js';
import { refusalFor, refusalWords } from './permission.js';

export function newMessageDialog({ group, onAdded } = {}) {
  const adding = Boolean(group);
  const members = new Set((group?.participants || []).map((p) => p.id));
  // Adding fills the group up to its size; starting one, up to the most others it may start with.
  const most = adding ? Math.max(0, limits.group_members - members.size) : limits.group_create_max_others;
  const picked = new Map(); // id -> user
  let searchTimer = null;
  let lastResults = [];

  const search = h('input', {
    class: 'input', type: 'search', placeholder: 'Search people by username', autocomplete: 'off',
    'aria-label': 'Search people', 'aria-controls': 'people-results', oninput: onSearch,
    onkeydown: (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        results.querySelector('button')?.focus();
      }
    },
  });
  const chips = h('div', { class: 'chips', 'aria-label': 'Selected people' });
  const groupName = h('input', { class: 'input', maxlength: limits.group_name_chars, placeholder: 'Group name (optional)', 'aria-label': 'Group name' });
  const nameField = h('label', { class: 'field', hidden: true }, h('span', {}, 'Group name'), groupName);
  const results = h('ul', { class: 'people', id: 'people-results', 'aria-label': 'People' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const next = h('button', { class: 'btn primary', type: 'button', disabled: true, onclick: adding ? add : start }, adding ? 'Add' : 'Next');
  results.addEventListener('keydown', (e) => {
    const buttons = [...results.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const j = i + (e.key === 'ArrowDown' ? 1 : -1);
      if (j < 0) search.focus();
      else buttons[Math.min(j, buttons.length - 1)]?.focus();
    }
  });

  const dialog = modal(adding ? 'Add people' : 'New message', [error, chips, search, nameField, results], next);
  search.focus();

  function onSearch() {
    clearTimeout(searchTimer);
    const term = search.value.trim().replace(/^@/, '');
    if (!term) {
      results.replaceChildren();
      return;
    }
    searchTimer = setTimeout(async () => {
      try {
        const page = await get(`/users/search?q=${q(term)}&limit=10`);
        lastResults = page.users.filter((u) => u.id !== app.me.id && !members.has(u.id)).map(remember);
        renderResults();
      } catch (e) {
        results.replaceChildren(h('li', { class: 'empty' }, e.message));
      }
    }, 120);
  }

  function renderResults() {
    if (!lastResults.length) {
      results.replaceChildren(h('li', { class: 'empty' }, `No one found for “${search.value.trim()}”`));
      return;
    }
    results.replaceChildren(...lastResults.map((u) => {
      const on = picked.has(u.id);
      return h('li', {}, h('button', {
        class: 'person', type: 'button', 'aria-pressed': String(on), onclick: () => toggle(u),
      },
      avatar(u),
      h('span', { class: 'who' }, h('strong', {}, u.name, u.verified && verifiedMark()), h('small', {}, `@${u.screen_name}`)),
      on && h('span', { class: 'check-mark' }, icon('check'))));
    }));
  }

  function toggle(u) {
    if (picked.has(u.id)) picked.delete(u.id);
    else if (picked.size < most) picked.set(u.id, u);
    renderChips();
    // Ready for the next name, as in a To: field.
    search.value = '';
    lastResults = [];
    results.replaceChildren();
    search.focus();
  }

  function renderChips() {
    chips.replaceChildren(...[...picked.values()].map((u) => h('button', {
      class: 'chip', type: 'button', 'aria-label': `Remove ${u.name}`, onclick: () => toggle(u),
    }, avatar(u, 'small'), h('span', { class: 'chip-name' }, u.name), icon('close'))));
    nameField.hidden = adding || picked.size < 2;
    if (adding) {
      next.disabled = picked.size === 0;
      return;
    }
    // One person is a 1:1 conversation; more make a group, of at least the server's minimum.
    next.disabled = picked.size === 0 || (picked.size > 1 && picked.size < limits.group_create_min_others);
    next.textContent = picked.size >= 2 ? 'Create group' : 'Next';
  }

  /** Adds each picked person; those refused stay picked, with who refused and why. */
  async function add() {
    next.disabled = true;
    const refusals = [];
    for (const u of [...picked.values()]) {
      try {
        await post(`/conversations/${q(group.id)}/participants/${q(u.id)}`);
        picked.delete(u.id);
      } catch (e) {
        refusals.push(await refusedWhom(e, [u]));
      }
    }
    onAdded?.();
    renderChips();
    if (!refusals.length) {
      dialog.close();
      return;
    }
    error.textContent = refusals.join(' ');
    error.hidden = false;
  }

  async function start() {
    const people = [...picked.values()];
    if (people.length === 1) {
      dialog.close();
      app.navigate(`/messages/compose?recipient_id=${people[0].id}`);
      return;
    }
    next.disabled = true;
    try {
      const body = { participant_ids: people.map((u) => u.id) };
      if (groupName.value.trim()) body.name = groupName.value.trim();
      const c = await post('/conversations', body);
      dialog.close();
      app.navigate(`/messages/${c.id}`);
    } catch (e) {
      error.textContent = await refusedWhom(e, people);
      error.hidden = false;
      next.disabled = false;
    }
  }
}

/** A refused group's error, naming who refused: the server's says only which rule. */
async function refusedWhom(e, people) {
  if (e.code !== 'cannot_message_user' && e.code !== 'recipient_not_accepting') {
    return people.length === 1 ? `${people[0].name}: ${e.message}` : e.message;
  }
  const refused = (await Promise.all(people.map(refusalFor))).filter(Boolean);
  if (!refused.length) return e.message;
  return refused.map((r) => refusalWords(r, `${r.user.name} (@${r.user.screen_name})`)[0]).join(' ');
}
