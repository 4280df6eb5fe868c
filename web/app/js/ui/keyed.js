// Keyed rendering: a list drawn from items that each have a key keeps the element of every
// item that is the same as when it was drawn, builds only the others, and moves elements
// only where the order changed. A message arriving in a long conversation costs one new row,
// not a redraw of every row; a row that stays the same element keeps its focus.
//
// State is replaced, never changed in place, so "the same" compares objects by identity and
// everything else by value (`same`), without serializing anything.
//
// A long list can be drawn in chunks (`chunk` rows each, in `li.chunk` boxes the stylesheet
// marks `content-visibility: auto`): the browser then lays out, paints and hit-tests only the
// chunks near the viewport, so a frame costs the same with 5,000 rows as with 50. Rows are
// counted into chunks from the first row ever drawn (older rows loaded later count
// backwards), so an arrival or an older page adds rows to chunks without moving the others.

import { h } from '../dom.js';

/**
 * The rows of `list`: `render(items)` draws `items` (each with a `key`), building an element
 * with `build(item)` for an item that `same(drawn, item)` says differs from the one drawn.
 */
export function keyedList(list, build, same, { chunk = 0 } = {}) {
  let rows = new Map(); // key -> { item, el }
  let anchor = null; // chunked: the key chunks are counted from
  let chunks = new Map(); // chunk number -> { box, rows }
  return function render(items) {
    const next = new Map();
    const elements = new Array(items.length);
    items.forEach((item, i) => {
      const row = rows.get(item.key);
      const el = row && same(row.item, item) ? row.el : build(item);
      next.set(item.key, { item, el });
      elements[i] = el;
    });
    for (const [key, row] of rows) {
      if (next.get(key)?.el !== row.el) row.el.remove();
    }
    rows = next;
    if (!chunk) {
      place(list, elements);
      return;
    }
    if (anchor === null || !next.has(anchor)) anchor = items[0]?.key ?? null;
    const origin = items.findIndex((item) => item.key === anchor);
    const groups = new Map();
    elements.forEach((el, i) => {
      const n = Math.floor((i - origin) / chunk);
      if (!groups.has(n)) groups.set(n, []);
      groups.get(n).push(el);
    });
    const kept = new Map();
    for (const [n, group] of groups) {
      kept.set(n, chunks.get(n) || chunkBox());
      kept.get(n).group = group;
    }
    for (const [n, c] of chunks) if (!kept.has(n)) c.box.remove();
    chunks = kept;
    const order = [...kept.keys()].sort((a, b) => a - b).map((n) => kept.get(n));
    place(list, order.map((c) => c.box));
    for (const c of order) place(c.rows, c.group);
  };
}

/** A chunk: a box the browser may skip, holding its rows. */
function chunkBox() {
  const rows = h('ol', { class: 'chunk-rows', role: 'none' });
  return { box: h('li', { class: 'chunk', role: 'none' }, rows), rows };
}

/** Puts `elements` first in `parent`, in order, moving only those out of place. */
function place(parent, elements) {
  let cursor = parent.firstChild;
  for (const el of elements) {
    if (el === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(el, cursor);
  }
}
