// The composer. Enter sends, Shift+Enter starts a new line (Enter while an input method is
// composing belongs to the input method). A failed send keeps the text, the attachment and
// the idempotency key, shows why, and offers Retry: retrying with the same key can never
// deliver the message twice.

import { ApiError, limits, uploadMedia } from '../api.js';
import { h, icon, mount, randomKey } from '../dom.js';
import { openEmojiPicker } from './emoji.js';

// The counter appears when this few characters remain.
const COUNTER_FROM = 1000;
const ACCEPT = 'image/jpeg,image/png,image/webp,image/gif,video/mp4,video/quicktime';

/** Characters as the server counts them: Unicode scalar values after NFC. */
function charCount(text) {
  let n = 0;
  for (const _ of text.normalize('NFC')) n++;
  return n;
}

/**
 * options.send({text, mediaId, replyToId, key}) → Promise (rejects with ApiError)
 * options.edit(message, text) → Promise
 * options.typing() is called (throttled by the caller) while the person types.
 * options.draft / options.saveDraft keep text when switching conversations.
 * options.tools (buttons beside emoji) and options.strip (above the box): a business's extras.
 */
export function composer(options) {
  let replyTo = null; // message being answered
  let editing = null; // message being edited
  let attachment = null; // { file, url, media?, uploading }
  let key = null; // idempotency key for the current draft
  let busy = false;

  const textarea = h('textarea', {
    rows: 1, placeholder: 'Start a new message', 'aria-label': 'Message text',
    onkeydown, oninput: changed, onpaste,
  });
  const counter = h('div', { class: 'counter', 'aria-live': 'polite', hidden: true });
  const banner = h('div', { class: 'banner', hidden: true });
  const sendError = h('div', { class: 'send-error', role: 'alert', hidden: true });
  const preview = h('div', { class: 'attachment', hidden: true });
  const fileInput = h('input', {
    type: 'file', accept: ACCEPT, hidden: true, 'aria-hidden': 'true', tabindex: '-1',
    onchange: () => {
      if (fileInput.files[0]) attach(fileInput.files[0]);
      fileInput.value = '';
    },
  });
  const attachBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'Add photo, GIF or video', title: 'Add photo, GIF or video',
    onclick: () => fileInput.click(),
  }, icon('image'));
  const emojiBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'Add emoji', title: 'Add emoji', 'aria-haspopup': 'dialog',
    'aria-expanded': 'false',
    onclick: () => openEmojiPicker(emojiBtn, insert, { keepOpen: true }),
  }, icon('smile'));
  const sendBtn = h('button', {
    class: 'icon-btn', type: 'button', 'aria-label': 'Send', title: 'Send', disabled: true, onclick: submit,
  }, icon('send'));

  const el = h('div', { class: 'composer' },
    banner, sendError, preview, options.strip,
    h('div', { class: 'box' }, attachBtn, emojiBtn, options.tools, textarea, sendBtn, fileInput),
    counter);

  // Drag and drop a file anywhere on the composer.
  el.addEventListener('dragover', (e) => {
    if (![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    el.classList.add('dragging');
  });
  el.addEventListener('dragleave', () => el.classList.remove('dragging'));
  el.addEventListener('drop', (e) => {
    el.classList.remove('dragging');
    const file = e.dataTransfer.files[0];
    if (!file) return;
    e.preventDefault();
    attach(file);
  });

  function onkeydown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && (replyTo || editing)) {
      e.preventDefault();
      cancelMode();
    }
  }

  function onpaste(e) {
    const file = [...(e.clipboardData?.files || [])][0];
    if (file) {
      e.preventDefault();
      attach(file);
    }
  }

  function insert(text) {
    const { selectionStart: a, selectionEnd: b, value } = textarea;
    textarea.value = value.slice(0, a) + text + value.slice(b);
    textarea.selectionStart = textarea.selectionEnd = a + text.length;
    changed();
  }

  function changed() {
    // Grow with the text up to the CSS max-height.
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight}px`;
    const left = refresh();
    counter.hidden = left > COUNTER_FROM;
    const chars = (n) => `${n.toLocaleString()} character${n === 1 ? '' : 's'}`;
    counter.textContent = left >= 0 ? `${chars(left)} left` : `${chars(-left)} over the limit`;
    counter.className = `counter ${left < 0 ? 'over' : left <= 100 ? 'near' : ''}`;
    if (!editing) options.saveDraft?.(textarea.value);
    if (textarea.value.trim() && !editing) options.typing?.();
  }

  /** Enables Send when there is something sendable; returns the characters left. */
  function refresh() {
    const left = limits.message_text_chars - charCount(textarea.value);
    const hasContent = textarea.value.trim() !== '' || (attachment && attachment.media);
    sendBtn.disabled = busy || !hasContent || left < 0 || (attachment && attachment.uploading);
    return left;
  }

  async function attach(file) {
    if (editing) return;
    if (!ACCEPT.split(',').includes(file.type)) {
      showError(`${file.name || 'That file'} can’t be sent: photos (JPEG, PNG, WebP), GIFs and videos (MP4, MOV) only.`);
      return;
    }
    clearAttachment();
    hideError();
    const url = URL.createObjectURL(file);
    attachment = { file, url, uploading: true };
    const status = h('span', {}, `Uploading ${file.name || 'file'}…`);
    const thumb = file.type.startsWith('video/')
      ? h('video', { src: url, muted: true, 'aria-hidden': 'true' })
      : h('img', { src: url, alt: '' });
    preview.replaceChildren(thumb, status,
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Remove attachment', onclick: clearAttachment }, icon('close')));
    preview.hidden = false;
    refresh();
    const mine = attachment;
    try {
      const media = await uploadMedia(file, (p) => { status.textContent = `Uploading… ${Math.round(p * 100)}%`; });
      if (attachment !== mine) return;
      attachment.media = media;
      attachment.uploading = false;
      status.textContent = file.name || 'Ready to send';
    } catch (e) {
      if (attachment !== mine) return;
      clearAttachment();
      showError(e.message);
    }
    refresh();
    textarea.focus();
  }

  function clearAttachment() {
    if (attachment) URL.revokeObjectURL(attachment.url);
    attachment = null;
    preview.hidden = true;
    preview.replaceChildren();
    refresh();
  }

  function showError(message, retry) {
    mount(sendError, h('span', {}, message),
      retry && h('button', { class: 'btn', type: 'button', onclick: retry }, 'Retry'));
    sendError.hidden = false;
  }

  function hideError() {
    sendError.hidden = true;
  }

  async function submit() {
    if (sendBtn.disabled) return;
    const text = textarea.value;
    busy = true;
    refresh();
    el.setAttribute('aria-busy', 'true');
    try {
      if (editing) {
        await options.edit(editing, text);
      } else {
        key ||= randomKey();
        await options.send({ text, mediaId: attachment?.media?.id, replyToId: replyTo?.id, key });
        key = null;
        clearAttachment();
      }
      // Whatever was typed while the send was on its way stays.
      if (textarea.value === text) textarea.value = '';
      cancelMode();
      hideError();
      changed();
    } catch (e) {
      // Keep everything as it was so nothing typed is lost. Retry is offered only where
      // trying again can succeed: a lost connection, a server error, a rate limit.
      const final = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429;
      showError(`Not sent: ${e.message}`, final ? null : submit);
      if (e.code === 'cannot_message_user' || e.code === 'recipient_not_accepting') options.refused?.(e);
    } finally {
      busy = false;
      el.removeAttribute('aria-busy');
      refresh();
      textarea.focus();
    }
  }

  function setBanner(label, message) {
    const snippet = message.text || (message.media ? 'a photo or video' : '');
    banner.replaceChildren(icon(editing ? 'compose' : 'reply'),
      h('span', {}, h('strong', {}, label), ` ${snippet}`),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': editing ? 'Cancel editing' : 'Cancel reply', onclick: cancelMode }, icon('close')));
    banner.hidden = false;
  }

  function cancelMode() {
    const wasEditing = editing;
    replyTo = null;
    editing = null;
    banner.hidden = true;
    attachBtn.disabled = false;
    if (wasEditing) {
      textarea.value = options.draft?.() || '';
      changed();
    }
  }

  // A draft left in this conversation earlier.
  textarea.value = options.draft?.() || '';
  queueMicrotask(changed);

  return {
    el,
    focus: () => textarea.focus(),
    replyTo(message, senderName) {
      if (editing) cancelMode();
      replyTo = message;
      setBanner(`Replying to ${senderName}:`, message);
      textarea.focus();
    },
    edit(message) {
      replyTo = null;
      editing = message;
      setBanner('Editing:', message);
      attachBtn.disabled = true;
      textarea.value = message.text;
      changed();
      textarea.focus();
    },
  };
}
