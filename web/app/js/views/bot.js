// /i/bot: a support account's own bot, built without code. Flows, tried in order: a trigger
// (first message, a tapped quick reply, words, a pattern, anything) and steps (reply, ask and
// keep the answer, a survey, hand over to a person). Each flow is edited in a dialog with a
// live preview of what the customer will see.

import { del, get, post, put, q } from '../api.js';
import { app, attempt, toast } from '../app.js';
import { h, icon } from '../dom.js';
import { confirmDialog, modal } from '../ui/dialog.js';
import { formField, plainMessage, showFormError } from '../ui/form.js';
import { partsEditor } from '../ui/parts-editor.js';
import { welcomeElement } from '../ui/welcome.js';

const TRIGGERS = [
  ['first_contact', 'Someone writes for the first time'],
  ['quick_reply', 'Someone taps a quick reply'],
  ['keyword', 'A message contains a word'],
  ['pattern', 'A message matches a pattern'],
  ['any_message', 'Any other message'],
];
const STEPS = [
  ['reply', 'Reply'],
  ['ask', 'Ask a question'],
  ['survey', 'Send a survey'],
  ['handover', 'Hand over to a person'],
];
const STEPS_MAX = 20;

/** A trigger in words, for the list. */
function triggerText(t) {
  if (t.type === 'quick_reply') return `Taps the quick reply “${t.metadata}”`;
  if (t.type === 'keyword') return `Says ${t.keywords.map((k) => `“${k}”`).join(', ')}`;
  if (t.type === 'pattern') return `Matches /${t.pattern}/`;
  return TRIGGERS.find(([k]) => k === t.type)?.[1] || t.type;
}

export function botView() {
  document.title = 'Bot · Postern';
  let flows = [];
  let profiles = [];
  const list = h('ol', { class: 'app-list', 'aria-label': 'Your flows' });
  const draw = () => list.replaceChildren(...(flows.length
    ? flows.map((f) => flowRow(f))
    : [h('li', { class: 'muted' }, 'No flows yet: your bot says nothing until you add one.')]));
  const reload = async () => {
    flows = (await get('/flows')).flows;
    draw();
  };

  function flowRow(f) {
    const enabled = h('input', {
      type: 'checkbox', checked: f.enabled, 'aria-label': `${f.name} is on`,
      onchange: () => attempt(async () => {
        const { id, created_at: _c, updated_at: _u, ...draft } = f;
        await put(`/flows/${q(id)}`, { ...draft, enabled: enabled.checked });
        await reload();
      }, enabled.checked ? `${f.name} is on` : `${f.name} is off`),
    });
    return h('li', { class: 'biz-row' },
      h('label', { class: 'check' }, enabled),
      h('div', { class: 'grow' }, h('strong', {}, f.name),
        h('small', {}, `${triggerText(f.trigger)} · ${f.steps.length} step${f.steps.length === 1 ? '' : 's'}`)),
      h('button', { class: 'btn', type: 'button', onclick: () => flowEditor(f, profiles, reload) }, 'Edit'),
      h('button', {
        class: 'icon-btn', type: 'button', 'aria-label': `Delete ${f.name}`,
        onclick: async () => {
          if (await confirmDialog({ title: `Delete ${f.name}?`, text: 'Conversations waiting for its answer move on.', confirm: 'Delete', danger: true })) {
            await attempt(async () => { await del(`/flows/${q(f.id)}`); await reload(); }, 'Flow deleted');
          }
        },
      }, icon('close')));
  }

  const el = h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, 'Bot'),
      h('a', { class: 'btn', href: '/i/business' }, 'Business')),
    h('p', { class: 'page-intro hint' },
      'Your bot answers while no one from your team is in the conversation. A message tries your flows in order; the first that matches runs. Replying yourself takes over, and the bot waits until you hand back.'),
    h('section', { class: 'section', 'aria-label': 'Your flows' }, list,
      h('button', { class: 'btn primary add-flow', type: 'button', onclick: () => flowEditor(null, profiles, reload) }, 'New flow'))));
  Promise.all([reload(), get('/custom_profiles').then((r) => { profiles = r.custom_profiles; })])
    .catch((e) => list.replaceChildren(h('li', { class: 'empty' }, e.message)));
  return { el };
}

/** One step's fields; `value()` resolves the step as the API takes it. */
function stepEditor(step, changed, remove) {
  const kind = h('select', { class: 'input', 'aria-label': 'What this step does' },
    STEPS.map(([k, label]) => h('option', { value: k, selected: k === step.type }, label)));
  const fields = h('div', {});
  const legend = h('legend', {});
  let current = null;

  function build(type, s = {}) {
    const text = formField('text', type === 'handover' ? 'Tell the customer (optional)' : type === 'ask' ? 'Question' : 'Message',
      { rows: 2, maxlength: 10000 }, type === 'reply' ? 'Write {{name}} for an answer the bot kept.' : null, { multiline: true, id: `step-${Math.random().toString(36).slice(2)}` });
    text.input.value = s.text || s.question || '';
    if (type === 'reply') {
      const parts = partsEditor(s);
      fields.replaceChildren(text.el, parts.el);
      return { type, value: async () => ({ type, text: text.input.value, ...(await parts.value()) }), text, parts };
    }
    if (type === 'ask') {
      const keep = formField('save_as', 'Keep the answer as', { maxlength: 32, value: s.save_as || 'answer', pattern: '[a-z0-9_]+' },
        'Lower-case letters, digits and _: use it as {{name}} later.', { id: `step-${Math.random().toString(36).slice(2)}` });
      fields.replaceChildren(text.el, keep.el);
      return { type, value: async () => ({ type, text: text.input.value, save_as: keep.input.value.trim() }), text };
    }
    if (type === 'survey') {
      const which = h('select', { class: 'input', 'aria-label': 'Survey' },
        h('option', { value: 'csat', selected: s.kind !== 'nps' }, 'Satisfaction (1–5 stars)'),
        h('option', { value: 'nps', selected: s.kind === 'nps' }, 'Recommend us (0–10)'));
      const privacy = formField('privacy_url', 'Privacy policy URL', { type: 'url', value: s.privacy_url || '' }, null,
        { id: `step-${Math.random().toString(36).slice(2)}` });
      fields.replaceChildren(h('div', { class: 'field' }, which), privacy.el);
      return {
        type,
        value: async () => ({ type, kind: which.value, privacy_url: privacy.input.value.trim() }),
        text: { input: which },
      };
    }
    const note = formField('note', 'Note for your team', { maxlength: 1000, value: s.note || '' },
      'Shown to whoever takes over, with the answers the bot kept.', { id: `step-${Math.random().toString(36).slice(2)}` });
    fields.replaceChildren(text.el, note.el);
    return {
      type,
      value: async () => ({ type, text: text.input.value.trim() || undefined, note: note.input.value.trim() || undefined }),
      text,
    };
  }

  current = build(step.type, step);
  kind.addEventListener('change', () => { current = build(kind.value); changed(); });
  const el = h('li', {}, h('fieldset', { class: 'step' }, legend,
    h('div', { class: 'step-head' }, kind,
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Remove this step', onclick: remove }, icon('close'))),
    fields));
  return { el, legend, value: () => current.value() };
}

/** The flow's steps as the customer meets them, spoken by `speaker`. */
function previewOf(steps, speaker) {
  const shown = (id) => `‹${id.trim()}›`;
  const fillIn = (text) => (text || '').replace(/\{\{([^}]*)\}\}/g, (_, name) => shown(name));
  return steps.flatMap((s) => {
    const say = (text, extra = {}) => welcomeElement({ message_data: { text: fillIn(text), ...extra } }, speaker, () => {});
    if (s.type === 'reply') return [say(s.text, { quick_reply: s.quick_reply, ctas: s.ctas })];
    if (s.type === 'ask') return [say(s.text), h('p', { class: 'preview-note' }, `Waits for the answer, kept as ${shown(s.save_as || '')}`)];
    if (s.type === 'survey') return [h('p', { class: 'preview-note' }, s.kind === 'nps' ? 'Asks how likely they are to recommend you (0–10)' : 'Asks how satisfied they are (1–5 stars)')];
    return [s.text && say(s.text), h('p', { class: 'preview-note' }, 'Hands the conversation to a person', s.note ? `: ${s.note}` : '')].filter(Boolean);
  });
}

function flowEditor(flow, profiles, saved) {
  const name = formField('name', 'Name', { maxlength: 100, required: true, value: flow?.name || '' },
    'For you: customers never see it.', { id: 'flow-name' });
  const trigger = h('select', { class: 'input', id: 'flow-trigger' },
    TRIGGERS.map(([k, label]) => h('option', { value: k, selected: k === (flow?.trigger.type || 'first_contact') }, label)));
  const t = flow?.trigger || {};
  const triggerValue = formField('trigger', 'Which', {
    value: t.metadata || t.pattern || (t.keywords || []).join(', '),
  }, null, { id: 'flow-trigger-value' });
  const hintFor = {
    quick_reply: 'The option’s metadata: its label in lower case with dashes, like talk-to-a-person.',
    keyword: 'Words or phrases, separated by commas. Any case.',
    pattern: 'A regular expression, like order\\s*#?\\d+. Any case.',
  };
  const syncTrigger = () => {
    triggerValue.el.hidden = !hintFor[trigger.value];
    triggerValue.el.querySelector('.hint')?.remove();
    if (hintFor[trigger.value]) triggerValue.el.append(h('small', { class: 'hint' }, hintFor[trigger.value]));
  };
  trigger.addEventListener('change', () => { syncTrigger(); later(); });
  syncTrigger();
  const speaker = h('select', { class: 'input', id: 'flow-speaker' },
    h('option', { value: '' }, `${app.me.name} (your account)`),
    profiles.map((p) => h('option', { value: p.id, selected: p.id === flow?.custom_profile_id }, p.name)));
  const enabled = h('input', { type: 'checkbox', checked: flow ? flow.enabled : true, id: 'flow-enabled' });

  const steps = [];
  const stepList = h('ol', { class: 'edit-list steps', 'aria-label': 'Steps' });
  const addStep = h('button', { class: 'btn', type: 'button', onclick: () => { add({ type: 'reply' }); later(); steps.at(-1)?.el.querySelector('textarea')?.focus(); } }, 'Add step');
  function add(step) {
    const entry = stepEditor(step, later, () => {
      steps.splice(steps.indexOf(entry), 1);
      entry.el.remove();
      renumber();
      later();
    });
    steps.push(entry);
    stepList.append(entry.el);
    renumber();
  }
  function renumber() {
    steps.forEach((s, i) => { s.legend.textContent = `Step ${i + 1}`; });
    addStep.disabled = steps.length >= STEPS_MAX;
  }
  (flow?.steps || [{ type: 'reply', text: 'Hi! How can we help?' }]).forEach(add);

  const preview = h('div', { class: 'welcome-preview', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });

  async function body() {
    const kind = trigger.value;
    const raw = triggerValue.input.value.trim();
    const triggerBody = kind === 'quick_reply' ? { type: kind, metadata: raw }
      : kind === 'keyword' ? { type: kind, keywords: raw.split(',').map((k) => k.trim()).filter(Boolean) }
        : kind === 'pattern' ? { type: kind, pattern: raw } : { type: kind };
    return {
      name: name.input.value.trim(),
      enabled: enabled.checked,
      trigger: triggerBody,
      steps: await Promise.all(steps.map((s) => s.value())),
      custom_profile_id: speaker.value || undefined,
    };
  }

  async function drawPreview() {
    const profile = profiles.find((p) => p.id === speaker.value);
    const who = profile ? { ...app.me, name: profile.name } : app.me;
    const shown = await body().then((b) => previewOf(b.steps, who), () => []);
    preview.replaceChildren(h('h3', {}, 'Preview'), h('p', { class: 'muted' }, `As ${who.name}`), ...shown);
    for (const b of preview.querySelectorAll('button, a')) b.setAttribute('tabindex', '-1');
  }
  let pending = 0;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(drawPreview, 250);
  }
  const form = h('div', {}, error, name.el,
    h('div', { class: 'field' }, h('label', { for: 'flow-trigger' }, 'When'), trigger), triggerValue.el,
    h('div', { class: 'field' }, h('label', { for: 'flow-speaker' }, 'Speaks as'), speaker),
    h('label', { class: 'check', for: 'flow-enabled' }, enabled, h('span', {}, h('strong', {}, 'On'))),
    h('h3', {}, 'Steps'), stepList, addStep);
  for (const ev of ['input', 'change', 'click']) form.addEventListener(ev, later);
  drawPreview();

  const save = h('button', {
    class: 'btn primary', type: 'button',
    onclick: async () => {
      save.disabled = true;
      try {
        const b = await body();
        if (flow) await put(`/flows/${q(flow.id)}`, b);
        else await post('/flows', b);
        dialog.close();
        toast(flow ? 'Flow saved' : 'Flow created');
        await saved();
      } catch (err) {
        // A step's refusal names it: "Step 2: must not be empty".
        const step = /^steps\[(\d+)\]/.exec(err.field || '');
        const field = err.field?.startsWith('trigger') ? 'trigger' : err.field;
        const message = step ? `Step ${Number(step[1]) + 1}: ${plainMessage(err)}` : err.message;
        showFormError({ ...err, field, message }, [name, triggerValue], error);
      } finally {
        save.disabled = false;
      }
    },
  }, flow ? 'Save' : 'Create');
  const dialog = modal(flow ? `Edit ${flow.name}` : 'New flow',
    h('div', { class: 'welcome-editor' }, form, preview),
    [h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, 'Cancel'), save],
    { wide: true });
  name.input.focus();
}
