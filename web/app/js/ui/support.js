// What a support account's hours mean right now, in the viewer's words and time zone: "Open
// now · until 17:30", "Opens Monday 09:00", "Closed".

const TIME = { hour: '2-digit', minute: '2-digit' };

/** The line under a support account's "Provides support" badge; null for other accounts. */
export function supportHours(support, now = new Date()) {
  if (!support?.enabled) return null;
  const next = support.next_change_at ? new Date(support.next_change_at) : null;
  if (support.open_now) return next ? `Open now · until ${when(next, now)}` : 'Open now';
  return next ? `Opens ${when(next, now)}` : 'Closed';
}

/** "17:30" today, "tomorrow 09:00", else "Monday 09:00" (within the week it always is). */
function when(at, now) {
  const time = at.toLocaleTimeString(undefined, TIME);
  const days = Math.round((startOfDay(at) - startOfDay(now)) / 86_400_000);
  if (days === 0) return time;
  if (days === 1) return `tomorrow ${time}`;
  return `${at.toLocaleDateString(undefined, { weekday: 'long' })} ${time}`;
}

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}
