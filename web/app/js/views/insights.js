// /i/insights: what a business's DMs did over a period — conversations started and where
// from, messages in and out, first-response times, clicks, satisfaction over time — drawn in
// the page (bars as elements, no chart library, no outside host), with a CSV to download.

import { get } from '../api.js';
import { h } from '../dom.js';

/** `n` and its noun: "1 click", "2 clicks" (never split across lines). */
const counted = (n, one, many = `${one}s`) => `${n}\u00a0${n === 1 ? one : many}`;

const SOURCE_NAMES = {
  direct: 'Wrote directly',
  deep_link: 'DM link',
  welcome_message: 'Welcome message',
  post_button: 'Post button',
  card: 'DM card',
  switch_to_dm: 'Switch to DM',
};
const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days']];

const day = (d) => d.toISOString().slice(0, 10);

export function insightsView() {
  document.title = 'Insights · Postern';
  const body = h('div', { class: 'insights', 'aria-live': 'polite' });
  const period = h('select', { class: 'input period', id: 'insights-period', onchange: () => load() },
    PERIODS.map(([v, label]) => h('option', { value: v, selected: v === '30' }, label)));
  const el = h('div', { class: 'page' }, h('div', { class: 'page-inner' },
    h('header', { class: 'page-head' }, h('h1', { class: 'grow' }, 'Insights'),
      h('label', { class: 'visually-hidden', for: period.id }, 'Period'), period),
    body));

  async function load() {
    const to = new Date();
    const from = new Date(to.getTime() - Number(period.value) * 86_400_000);
    const range = `from=${day(from)}&to=${day(to)}`;
    body.setAttribute('aria-busy', 'true');
    try {
      const [insights, csat] = await Promise.all([get(`/insights?${range}`), get(`/feedback/results?type=csat&${range}`)]);
      body.replaceChildren(...draw(insights, csat));
    } catch (e) {
      body.replaceChildren(h('p', { class: 'empty' }, e.message));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  load();
  return { el };
}

function draw(x, csat) {
  const seconds = (s) => (s === null || s === undefined ? '—' : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
  const pct = (v) => (v === null || v === undefined ? '—' : `${v}%`);
  const tiles = h('div', { class: 'tiles' },
    tile('Conversations started', x.conversations_started.total),
    tile('Messages received', x.messages.received, `${x.messages.sent} sent`),
    tile('First response, median', seconds(x.first_response.median_seconds), `p90 ${seconds(x.first_response.p90_seconds)} · ${x.first_response.unanswered} unanswered`),
    tile('Button clicks', x.buttons.clicks, `on ${counted(x.buttons.buttons, 'button')}`),
    tile('Card click-through', pct(x.cards.click_through), `${counted(x.cards.clicks, 'click')} · ${x.cards.impressions}\u00a0seen · ${counted(x.cards.conversations, 'conversation')}`),
    tile('CSAT', pct(x.csat), x.nps === null || x.nps === undefined ? 'NPS —' : `NPS ${x.nps}`));
  const sources = Object.entries(x.conversations_started.by_source);
  const most = Math.max(1, ...sources.map(([, n]) => n));
  const bars = h('section', { 'aria-labelledby': 'ins-sources', class: 'chart' },
    h('h2', { id: 'ins-sources' }, 'Where conversations started'),
    h('ul', { class: 'bars' }, sources.map(([source, n]) => h('li', {},
      h('span', { class: 'bar-label' }, SOURCE_NAMES[source] || source),
      // None is an empty track, not a sliver that reads as "a few".
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, n > 0 ? h('span', { class: 'bar', style: `width: ${(100 * n) / most}%` }) : null),
      h('span', { class: 'bar-value' }, String(n))))));
  const days = Object.entries(csat.by_day);
  const overTime = h('section', { 'aria-labelledby': 'ins-csat', class: 'chart' },
    h('h2', { id: 'ins-csat' }, 'Satisfaction (CSAT) by day'),
    days.length
      ? h('ul', { class: 'columns' }, days.map(([d, s]) => h('li', { title: `${d}: ${pct(s.score)} of ${s.responses} answers` },
        h('span', { class: 'column-track', 'aria-hidden': 'true' }, h('span', { class: 'column', style: `height: ${s.score ?? 0}%` })),
        h('span', { class: 'column-label' }, `${d.slice(5)} · ${pct(s.score)}`))))
      : h('p', { class: 'muted' }, 'No surveys in this period.'));
  const download = h('button', { class: 'btn', type: 'button', onclick: () => saveCsv(x, csat) }, 'Download CSV');
  return [tiles, bars, overTime, h('div', { class: 'section' }, download)];
}

function tile(label, value, detail) {
  return h('div', { class: 'tile' }, h('small', {}, label), h('strong', {}, String(value)), detail && h('small', { class: 'muted' }, detail));
}

/** The numbers as rows of `metric,value`, then CSAT per day. */
function saveCsv(x, csat) {
  const rows = [['metric', 'value'], ['from', x.from], ['to', x.to], ['conversations_started', x.conversations_started.total]];
  for (const [source, n] of Object.entries(x.conversations_started.by_source)) rows.push([`started_${source}`, n]);
  rows.push(['messages_received', x.messages.received], ['messages_sent', x.messages.sent],
    ['first_response_median_seconds', x.first_response.median_seconds ?? ''], ['first_response_p90_seconds', x.first_response.p90_seconds ?? ''],
    ['unanswered', x.first_response.unanswered], ['buttons', x.buttons.buttons], ['button_clicks', x.buttons.clicks],
    ['card_impressions', x.cards.impressions], ['card_clicks', x.cards.clicks], ['card_conversations', x.cards.conversations],
    ['csat', x.csat ?? ''], ['nps', x.nps ?? '']);
  for (const [d, s] of Object.entries(csat.by_day)) rows.push([`csat_${d}`, s.score ?? '']);
  const csv = rows.map((r) => r.map((c) => `"${String(c).replaceAll('"', '""')}"`).join(',')).join('\r\n');
  const a = h('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: `postern-insights-${day(new Date())}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}
