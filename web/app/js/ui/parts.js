// A message's interactive parts in the timeline: the custom profile it was sent as, the post
// it moved to DMs, its buttons, and (under the newest message, while it can be answered) its
// quick-reply options.

import { get, q } from '../api.js';
import { app, avatar } from '../app.js';
import { h, mount } from '../dom.js';
import { authorOf, postElement } from './post.js';

/** "Maria from Support" with her picture, above a message sent as a custom profile. */
export function profileLine(m) {
  const p = m.custom_profile;
  if (!p) return null;
  const person = { id: `profile-${p.id}`, name: p.name, avatar_url: p.avatar_url };
  return h('div', { class: 'sent-as' }, avatar(person, 'small'), h('span', { title: p.name }, p.name));
}

/**
 * A message's buttons, each through its counting link. A web page opens in a new tab; a
 * follow or DM link loads in this one (`data-page`: past the app's own link handling, so
 * the server counts the click and redirects).
 */
export function buttonsElement(m) {
  if (!m.ctas?.length || m.deleted) return null;
  return h('div', { class: 'ctas' }, m.ctas.map((b) => h('a', {
    class: 'cta',
    href: b.tco_url,
    ...(b.type === 'url' ? { target: '_blank', rel: 'noopener noreferrer' } : { dataset: { page: 'true' } }),
    'aria-label': b.clicks === undefined ? null : `${b.label}, ${b.clicks} ${b.clicks === 1 ? 'click' : 'clicks'}`,
  }, h('span', {}, b.label), b.clicks !== undefined && h('small', { class: 'clicks' }, String(b.clicks)))));
}

/**
 * The options of an open prompt from the other side, as a group of buttons; `onPick(option)`
 * sends the answer. Keyboard: Tab reaches them, Enter or Space picks.
 */
export function quickRepliesElement(m, onPick) {
  const q = m.quick_reply;
  if (!q?.open || m.sender_id === app.me.id) return null;
  return h('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' },
    q.options.map((o) => h('button', {
      class: 'quick-reply', type: 'button',
      onclick: (e) => {
        for (const b of e.currentTarget.parentElement.querySelectorAll('button')) b.disabled = true;
        onPick(o);
      },
    }, h('span', {}, o.label), o.description && h('small', {}, o.description))));
}

/**
 * The post a message moved to DMs ("Switch to DM"), quoted above it. Fetched as it is drawn
 * (the message holds only its id); a post since deleted says so.
 */
export function quotedPost(m) {
  const id = m.initiated_via?.post_id;
  if (!id || m.deleted) return null;
  const box = h('div', { class: 'quoted-post' });
  (async () => {
    try {
      const p = await get(`/posts/${q(id)}`);
      box.append(postElement(p, await authorOf(p), { compact: true }));
    } catch {
      box.append(h('p', { class: 'muted' }, 'About a post that is no longer there'));
    }
  })();
  return box;
}

const CSAT_EMOJI = ['😞', '🙁', '😐', '🙂', '😀'];

/** A score's label as the survey draws it. */
function scoreLabel(survey, score) {
  if (survey.display === 'stars' && survey.type === 'csat') return '★'.repeat(score) + '☆'.repeat(5 - score);
  if (survey.display === 'emoji' && survey.type === 'csat') return CSAT_EMOJI[score - 1];
  return String(score);
}

/**
 * A feedback survey (CSAT or NPS) under its message. The person asked picks a score (buttons,
 * so Tab and Enter work), may add words, and sends once: `onAnswer(score, text)` resolves when
 * recorded. Once answered it says what was given; its sender sees whether it was.
 */
export function surveyElement(m, onAnswer) {
  const survey = m.feedback_request;
  if (!survey || m.deleted) return null;
  const [low, high] = survey.type === 'csat' ? [1, 5] : [0, 10];
  const outOf = `${survey.score}/${high}`;
  if (survey.score !== undefined && survey.score !== null) {
    return h('p', { class: 'survey answered' }, m.sender_id === app.me.id ? `Answered: ${outOf}` : `You answered ${scoreLabel(survey, survey.score)} (${outOf}). Thank you!`);
  }
  if (m.sender_id === app.me.id) return h('p', { class: 'survey waiting' }, 'Survey sent: waiting for an answer');
  const box = h('div', { class: 'survey', role: 'group', 'aria-label': survey.question });
  const scores = [];
  for (let n = low; n <= high; n++) scores.push(n);
  const choices = h('div', { class: `survey-scores ${survey.type}` }, scores.map((n) => h('button', {
    class: 'survey-score', type: 'button', 'aria-label': `${n} out of ${high}`, 'aria-pressed': 'false',
    onclick: (e) => pick(n, e.currentTarget),
  }, survey.display === 'stars' && survey.type === 'csat' ? `${n} ★` : scoreLabel(survey, n))));
  const more = h('div', { class: 'survey-more', hidden: true });
  function pick(n, button) {
    for (const b of choices.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
    const words = h('textarea', { class: 'textarea', rows: 2, maxlength: 1000, 'aria-label': 'Anything to add? (optional)', placeholder: 'Anything to add? (optional)' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const send = h('button', {
      class: 'btn primary', type: 'button',
      onclick: async () => {
        send.disabled = true;
        try {
          await onAnswer(n, words.value.trim() || undefined);
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
          send.disabled = false;
        }
      },
    }, 'Send answer');
    more.replaceChildren(words, error, send);
    more.hidden = false;
    words.focus();
  }
  mount(box,
    h('p', { class: 'survey-question' }, survey.question),
    choices,
    survey.type === 'nps' && h('p', { class: 'survey-ends muted' }, h('span', {}, 'Not likely'), h('span', {}, 'Very likely')),
    more,
    h('a', { class: 'survey-privacy', href: survey.privacy_url, target: '_blank', rel: 'noopener noreferrer' }, 'Privacy policy'));
  return box;
}
