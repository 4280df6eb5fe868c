// The photo viewer: a photo at the size of the screen, on the native <dialog> (which traps
// focus, closes on Escape and returns focus to the photo that opened it). The arrow keys and
// the Previous / Next buttons go through the conversation's other photos.

import { h, icon } from '../dom.js';

/** Opens `photos[index]`; each photo is `{ url, alt }`. */
export function openViewer(photos, index) {
  let at = index;
  const img = h('img', { class: 'viewer-photo', alt: '' });
  const counter = h('span', { class: 'viewer-count', 'aria-live': 'polite' });
  const original = h('a', { class: 'btn', target: '_blank', rel: 'noopener' }, 'Open original');
  const button = (label, name, onclick) => h('button', { class: 'icon-btn', type: 'button', 'aria-label': label, onclick }, icon(name));
  const prev = button('Previous photo', 'back', () => show(at - 1));
  const next = button('Next photo', 'forward', () => show(at + 1));
  const dialog = h('dialog', { class: 'viewer', 'aria-label': 'Photo viewer' },
    h('div', { class: 'viewer-bar' }, counter, original, button('Close', 'close', () => dialog.close())),
    h('div', { class: 'viewer-stage' }, prev, img, next));

  function show(i) {
    if (i < 0 || i >= photos.length) return;
    at = i;
    img.src = photos[i].url;
    img.alt = photos[i].alt;
    original.href = photos[i].url;
    counter.textContent = photos.length > 1 ? `${i + 1} of ${photos.length}` : '';
    prev.disabled = i === 0;
    next.disabled = i === photos.length - 1;
  }

  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') show(at - 1);
    else if (e.key === 'ArrowRight') show(at + 1);
    else return;
    e.preventDefault();
  });
  // A click on the backdrop, outside the photo and the buttons, closes it too.
  dialog.addEventListener('click', (e) => { if (e.target === dialog || e.target.classList.contains('viewer-stage')) dialog.close(); });
  dialog.addEventListener('close', () => dialog.remove());
  show(at);
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector('button[aria-label="Close"]').focus();
  return dialog;
}
