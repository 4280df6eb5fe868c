// The web app's cost of live messages in a long conversation (issue 14, item 1): a person
// has 5,000 messages of a conversation loaded, and 100 more arrive over the stream. Chromium's
// performance timeline reports every task over 50 ms on the page's main thread ("long
// tasks", which a person feels as a stutter); this prints how many there were, the longest,
// and how long the 100 took to appear.
//
// Run against a server started with `--rate-limits off`:
//   POSTERN_URL=http://127.0.0.1:8080 node web/e2e/bench/timeline.mjs
// (LOADED and ARRIVING change the sizes.)

import { BASE, apiCall, apiUser, launch, live, see } from '../lib.mjs';

const LOADED = Number(process.env.LOADED || 5000);
const ARRIVING = Number(process.env.ARRIVING || 100);
const SENDERS = 8;

async function sendMany(from, to, n, label) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next;
      next += 1;
      await apiCall(from.token, 'POST', `/messages/with/${to.id}`, { text: `${label} ${i + 1}: the quick brown fox jumps over the lazy dog` });
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, worker));
}

const sender = await apiUser('bench');
const reader = await apiUser('reader');
await apiCall(reader.token, 'PUT', `/me/following/${sender.id}`);
let started = Date.now();
await sendMany(sender, reader, LOADED, 'earlier');
console.log(`seeded ${LOADED} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
const page = await context.newPage();
page.setDefaultTimeout(120_000);
await page.goto(`${BASE}/login`);
await page.getByLabel('Username').fill(reader.screenName);
await page.getByLabel('Password').fill('correct horse battery');
await page.getByRole('button', { name: 'Log in' }).click();
await see(page.getByRole('heading', { name: 'Messages' }));
await live(page);
await page.locator('.conv-item').first().click();
await see(page.getByRole('textbox', { name: 'Message text' }));

// Scroll to the top until everything is loaded, as a person reading back would.
started = Date.now();
const rows = () => page.locator('.timeline .msg').count();
while ((await rows()) < LOADED) {
  const before = await rows();
  await page.evaluate(() => { document.querySelector('.timeline').scrollTop = 0; });
  await page.waitForFunction((n) => document.querySelectorAll('.timeline .msg').length > n, before, { timeout: 30_000 });
}
await page.evaluate(() => { const t = document.querySelector('.timeline'); t.scrollTop = t.scrollHeight; });
console.log(`loaded ${await rows()} messages in the page in ${((Date.now() - started) / 1000).toFixed(1)} s`);

await page.evaluate(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push(e.duration);
  }).observe({ type: 'longtask' });
  window.frames_ = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.frames_.push({ d: Math.round(e.duration), block: Math.round(e.blockingDuration),
      // Where the frame went: scripts and tasks, then style and layout, then the rest of rendering.
      work: Math.round(e.renderStart ? e.renderStart - e.startTime : e.duration),
      rendering: e.renderStart ? Math.round(e.styleAndLayoutStart - e.renderStart) : 0,
      styleAndLayout: e.styleAndLayoutStart ? Math.round(e.startTime + e.duration - e.styleAndLayoutStart) : 0,
      scripts: e.scripts.map((s) => `${s.invoker} ${s.sourceFunctionName}@${s.sourceURL.split('/').pop()}:${s.sourceCharPosition} ${Math.round(s.duration)}ms`) });
  }).observe({ type: 'long-animation-frame' });
});
// PROFILE=1 prints where the page's main thread spent its time while the messages arrived.
const cdp = process.env.PROFILE ? await context.newCDPSession(page) : null;
if (cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
}
// TRACE=1 prints what each main-thread task over 50 ms spent its time on (Chromium's trace).
if (process.env.TRACE) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8'] });
started = Date.now();
for (let i = 0; i < ARRIVING; i += 1) {
  await apiCall(sender.token, 'POST', `/messages/with/${reader.id}`, { text: `live ${i + 1}: arriving while the conversation is open` });
}
await page.waitForFunction((n) => document.querySelectorAll('.timeline .msg').length >= n, LOADED + ARRIVING, { timeout: 120_000 });
const appeared = Date.now() - started;
await new Promise((r) => setTimeout(r, 1000));
const tasks = await page.evaluate(() => window.longTasks);
if (cdp) printProfile((await cdp.send('Profiler.stop')).profile);
if (process.env.TRACE) printLongTasks(JSON.parse((await browser.stopTracing()).toString()));
if (process.env.ATTRIBUTE) console.log(JSON.stringify(await page.evaluate(() => window.frames_.filter((f) => f.block > 0 || f.d > 50)), null, 1));
const longest = tasks.length ? Math.max(...tasks) : 0;
const total = tasks.reduce((a, b) => a + b, 0);
console.log(`${ARRIVING} messages into ${LOADED}: long tasks ${tasks.length}, longest ${longest.toFixed(0)} ms, `
  + `${total.toFixed(0)} ms in all; all shown after ${appeared} ms`);
await browser.close();

/** The functions that took the most time themselves, from a CPU profile, top 20. */
function printProfile(profile) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    self.set(name, (self.get(name) || 0) + (profile.timeDeltas[i] || 0) / 1000);
  });
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${ms.toFixed(0).padStart(7)} ms  ${name}`);
  }
}

/** Each task over 50 ms in a trace, with the time its direct kinds of work took. */
function printLongTasks(trace) {
  const events = (trace.traceEvents || trace).filter((e) => e.ph === 'X' && e.dur);
  const tasks = events.filter((e) => e.name === 'RunTask' && e.dur > 50_000);
  for (const t of tasks) {
    const inside = events.filter((e) => e.tid === t.tid && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e !== t);
    const by = new Map();
    for (const e of inside) by.set(e.name, (by.get(e.name) || 0) + e.dur / 1000);
    const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ');
    console.log(`task ${(t.dur / 1000).toFixed(0)} ms: ${top}`);
  }
}
