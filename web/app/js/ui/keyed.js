// Keyed rendering: a list drawn from items that each have a key keeps the element of every
// item that is the same as when it was drawn, builds only the others, and moves elements
// only where the order changed. A message arriving in a long conversation costs one new row,
// not a redraw of every row; a row that stays the same element keeps its focus.
//
// State is replaced, never changed in place, so "the same" compares objects by identity and
// everything else by value (`same`), without serializing anything.

/**
 * The rows of `list`: `render(items)` draws `items` (each with a `key`), building an element
 * with `build(item)` for an item that `same(drawn, item)` says differs from the one drawn.
 */
export function keyedList(list, build, same) {
  let rows = new Map(); // key -> { item, el }
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
    let cursor = list.firstChild;
    for (const el of elements) {
      if (el === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(el, cursor);
    }
    rows = next;
  };
}
