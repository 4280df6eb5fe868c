// Hand-over in a support account's conversation: who answers for the account now, its bot or
// a person, and the buttons to move it. The server decides (a person's message takes it; the
// bot's sends are refused meanwhile); this bar shows its answer and every `control_changed`.

import { get, put, q } from '../api.js';
import { attempt } from '../app.js';
import { clockTime, h, icon } from '../dom.js';

/** The bar for conversation `id`, kept current by `handle(frame)`. */
export function controlBar(id) {
  const el = h('div', { class: 'control-bar', role: 'region', 'aria-label': 'Who is answering', hidden: true });
  let state = null;

  function draw() {
    if (!state) return;
    el.hidden = false;
    el.dataset.controller = state.controller;
    const human = state.controller === 'human';
    const says = human
      ? h('p', {}, h('strong', {}, 'You’re answering this conversation.'),
        state.returns_to_bot_at ? ` The bot takes it back at ${clockTime(state.returns_to_bot_at)} if no one replies.` : '')
      : h('p', {}, h('strong', {}, 'Your bot is answering this conversation.'), ' Replying takes over.');
    const asked = state.requested_by && state.requested_by !== state.controller
      ? h('p', { class: 'control-note' }, `${state.requested_by === 'bot' ? 'The bot' : 'A person'} asks to take over`,
        state.note ? `: ${state.note}` : '.')
      : state.note && human
        ? h('p', { class: 'control-note' }, h('span', { class: 'muted' }, 'Handed over: '), state.note)
        : null;
    const button = human
      ? h('button', { class: 'btn', type: 'button', onclick: () => move('pass', 'Handed back to the bot') }, 'Hand back to bot')
      : h('button', { class: 'btn', type: 'button', onclick: () => move('take', 'You’re answering now') }, 'Take over');
    el.replaceChildren(icon(human ? 'user' : 'support'), h('div', { class: 'grow' }, says, asked), button);
  }

  async function move(action, done) {
    await attempt(async () => {
      state = await put(`/conversations/${q(id)}/control`, { action });
      draw();
    }, done);
  }

  get(`/conversations/${q(id)}/control`).then((s) => {
    state = s;
    draw();
  }, () => {});

  return {
    el,
    /** A stream frame for this conversation: a change of control redraws the bar. */
    handle(frame) {
      if (frame.type !== 'control_changed') return false;
      state = frame.data;
      draw();
      return true;
    },
  };
}
