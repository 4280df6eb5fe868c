// Popovers anchored to a button: menus and pickers. One is open at a time; Escape or a
// click outside closes it and gives focus back to the button that opened it. Menus move
// focus with the arrow keys, as screen-reader users expect of role="menu".

import { h } from '../dom.js';

let open = null; // { el, anchor, onClose }

export function closePopover({ restoreFocus = true } = {}) {
  if (!open) return;
  const { el, anchor, onClose } = open;
  open = null;
  el.remove();
  anchor.setAttribute('aria-expanded', 'false');
  onClose?.();
  if (restoreFocus && anchor.isConnected) anchor.focus();
}

/** The button the open popover belongs to, if one is open. */
export function popoverAnchor() {
  return open?.anchor ?? null;
}

/** Hands the open popover to `anchor`, a re-rendered copy of the button it belonged to, so
 * closing it gives focus back to a button that is still on the page. */
export function reanchorPopover(anchor) {
  if (!open) return;
  open.anchor = anchor;
  anchor.setAttribute('aria-expanded', 'true');
}

/** Shows `content` in a popover beside `anchor`. */
export function openPopover(anchor, content, { label, onClose, className = '' } = {}) {
  const reopening = open && open.anchor === anchor;
  closePopover({ restoreFocus: false });
  if (reopening) return null;
  const el = h('div', { class: `popover ${className}`, role: 'dialog', 'aria-label': label }, content);
  document.body.append(el);
  place(el, anchor);
  anchor.setAttribute('aria-expanded', 'true');
  open = { el, anchor, onClose };
  return el;
}

function place(el, anchor) {
  const a = anchor.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  const margin = 8;
  let top = a.bottom + 4;
  if (top + r.height > innerHeight - margin) top = Math.max(margin, a.top - r.height - 4);
  let left = a.right - r.width;
  if (left < margin) left = Math.min(a.left, innerWidth - r.width - margin);
  el.style.top = `${Math.max(margin, top)}px`;
  el.style.left = `${Math.max(margin, left)}px`;
}

/**
 * A menu of actions. `items`: [{label, run, danger?}] or null (skipped); `header` is shown
 * above the items (the quick reactions row).
 */
export function openMenu(anchor, items, { label = 'Actions', header } = {}) {
  const buttons = items.filter(Boolean).map((item) =>
    h('li', { role: 'none' }, h('button', {
      type: 'button', role: 'menuitem', class: item.danger ? 'danger' : '', tabindex: '-1',
      onclick: () => {
        closePopover();
        item.run();
      },
    }, item.label)));
  const menu = h('ul', { class: 'menu', role: 'menu', 'aria-label': label }, buttons);
  const el = openPopover(anchor, [header, menu], { label });
  if (!el) return;
  const focusables = () => [...el.querySelectorAll('button')];
  el.addEventListener('keydown', (e) => {
    const list = focusables();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      list[(i + step + list.length) % list.length]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      (e.key === 'Home' ? list[0] : list[list.length - 1])?.focus();
    }
  });
  const first = el.querySelector('[role="menuitem"]') || el.querySelector('button');
  first?.focus();
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && open) {
    e.preventDefault();
    e.stopPropagation();
    closePopover();
  }
}, true);

document.addEventListener('pointerdown', (e) => {
  if (open && !open.el.contains(e.target) && !open.anchor.contains(e.target)) {
    closePopover({ restoreFocus: false });
  }
});

addEventListener('resize', () => closePopover({ restoreFocus: false }));
