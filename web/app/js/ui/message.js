// One message in the timeline: sender (in groups), the quoted reply, the bubble with text and
// media, reaction chips, time / edited / seen, and its action buttons. Building it is pure:
// the conversation view passes what it knows and the callbacks.

import { app } from '../app.js';
import { clockTime, fullTime, h, icon } from '../dom.js';
import { buttonsElement, profileLine, quickRepliesElement, quotedPost, surveyElement } from './parts.js';
import { richText, snippet } from './text.js';
import { openViewer } from './viewer.js';

/**
 * ctx: { showSender, sender (user), quoted (message|null), quotedSender, seen (string|null),
 *        showTime, prompt (whether its quick replies can be answered here), onReact(button),
 *        onReply(), onMore(button), onToggleReaction(emoji), onQuote(), onQuickReply(option),
 *        onSurvey(score, text) (resolves once the answer is recorded) }
 */
export function messageElement(m, ctx) {
  const mine = m.sender_id === app.me.id;
  const name = ctx.sender ? ctx.sender.name : 'Someone';
  const bubble = h('div', { class: 'bubble' });
  if (m.deleted) {
    bubble.classList.add('deleted');
    bubble.textContent = 'This message was deleted';
  } else {
    if (m.media) bubble.append(mediaElement(m.media));
    if (m.text) bubble.append(...richText(m.text, m.entities));
    else if (m.media) bubble.classList.add('media-only');
  }

  const actions = m.deleted ? null : h('div', { class: 'actions' },
    h('button', {
      class: 'icon-btn', type: 'button', 'aria-label': 'React', title: 'React', 'aria-haspopup': 'dialog',
      'aria-expanded': 'false', onclick: (e) => ctx.onReact(e.currentTarget),
    }, icon('smile')),
    h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Reply', title: 'Reply', onclick: ctx.onReply }, icon('reply')),
    h('button', {
      class: 'icon-btn', type: 'button', 'aria-label': 'More actions', title: 'More', 'aria-haspopup': 'menu',
      'aria-expanded': 'false', onclick: (e) => ctx.onMore(e.currentTarget),
    }, icon('more')));

  const reactions = m.reactions.length === 0 ? null : h('div', { class: 'reactions' },
    m.reactions.map((r) => {
      const pressed = r.user_ids.includes(app.me.id);
      return h('button', {
        class: 'reaction', type: 'button', 'aria-pressed': String(pressed),
        'aria-label': `${r.emoji} ${r.count}${pressed ? ', including you' : ''}. ${pressed ? 'Remove your reaction' : 'React with this'}`,
        onclick: () => ctx.onToggleReaction(r.emoji),
      }, r.emoji, h('span', {}, String(r.count)));
    }));

  const quote = ctx.quoted === undefined ? null : h('button', {
    class: 'quote', type: 'button', onclick: ctx.onQuote,
    'aria-label': `Reply to ${ctx.quotedSender || 'a message'}. Show the original`,
  }, ctx.quoted ? `${ctx.quotedSender}: ${snippet(ctx.quoted)}` : 'Replying to an earlier message');

  const showMeta = ctx.showTime || m.edited_at || ctx.seen;
  const meta = !showMeta ? null : h('div', { class: 'meta' },
    h('time', { datetime: m.created_at, title: fullTime(m.created_at) }, clockTime(m.created_at)),
    m.edited_at && !m.deleted && h('span', { title: `Edited ${fullTime(m.edited_at)}` }, '· Edited'),
    ctx.seen && h('span', { class: 'seen' }, `· ${ctx.seen}`));

  return h('li', {
    class: `msg ${mine ? 'mine' : ''}`, id: `m-${m.id}`, dataset: { id: m.id },
    'aria-label': `${mine ? 'You' : name}: ${snippet(m)}`,
  },
  ctx.showSender && !mine && !m.custom_profile && h('div', { class: 'sender' }, name),
  profileLine(m),
  quotedPost(m),
  quote,
  // A survey is drawn as its card; its text is for clients that cannot draw one.
  !m.feedback_request && h('div', { class: 'row' }, bubble, actions),
  buttonsElement(m),
  surveyElement(m, ctx.onSurvey),
  reactions,
  meta,
  ctx.prompt && quickRepliesElement(m, ctx.onQuickReply));
}

/** The largest box media is drawn in, in CSS pixels (narrower where the bubble is). */
const MEDIA_BOX = { width: 320, height: 360 };
/** The longer side of the server's thumbnails. */
const THUMBNAIL_SIDE = 320;

/**
 * Media at its own shape: the box is as wide as fits both limits at the media's aspect ratio,
 * and a photo is drawn from its thumbnail or its original, whichever the screen needs.
 */
function mediaElement(media) {
  const [w, h0] = [media.width || 1, media.height || 1];
  const width = Math.round(Math.min(MEDIA_BOX.width, (MEDIA_BOX.height * w) / h0, w));
  const wrap = h('div', { class: 'media', style: `width: ${width}px` });
  if (media.category === 'dm_video') {
    // Starting a fraction of a second in makes the browser decode a frame to show, a poster
    // from the video itself, where it would otherwise show a black box until played.
    wrap.append(h('video', { src: `${media.url}#t=0.1`, controls: true, preload: 'metadata', width: w, height: h0 }));
    return wrap;
  }
  const sources = media.category !== 'dm_gif' && media.thumbnail_url
    ? { src: media.thumbnail_url, srcset: `${media.thumbnail_url} ${thumbnailWidth(w, h0)}w, ${media.url} ${w}w`, sizes: `${width}px` }
    : { src: media.url };
  const img = h('img', { ...sources, alt: media.category === 'dm_gif' ? 'GIF' : 'Photo', width: w, height: h0, loading: 'lazy' });
  wrap.append(media.category === 'dm_gif' ? img : h('a', {
    class: 'photo', href: media.url, 'aria-label': 'Open the photo', onclick: openPhoto,
  }, img));
  return wrap;
}

/** Opens the clicked photo in the viewer, with the conversation's other photos beside it. */
function openPhoto(e) {
  if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab, as the person asked
  e.preventDefault();
  const links = [...e.currentTarget.closest('.timeline-list, body').querySelectorAll('a.photo')];
  const photos = links.map((a) => ({ url: a.href, alt: a.querySelector('img')?.alt || 'Photo' }));
  openViewer(photos, Math.max(0, links.indexOf(e.currentTarget)));
}

function thumbnailWidth(w, h0) {
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(w, h0));
  return Math.max(1, Math.round(w * scale));
}
