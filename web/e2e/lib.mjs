// Shared by the browser tests: a Chromium per file, people with their own browser context,
// and small waiting helpers (playwright-core has no `expect`, so tests wait for what a
// person would see, with a deadline).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = process.env.POSTERN_URL || 'http://127.0.0.1:8080';
const SHOTS = process.env.SCREENSHOTS;
const WAIT_MS = 10_000;

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

let counter = 0;
/** A unique screen name (≤ 15 characters) so tests never collide on one server. */
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}${(Date.now() % 1e6).toString(36)}${counter}`.slice(0, 15);
}

/**
 * A person: their own browser context (cookies), a page, and the errors it logged. Any
 * uncaught error in the page fails the test that checks `person.errors`.
 */
export async function person(browser, prefix, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // Failed requests are logged by the browser itself (a 401 before signing in, the 404 that
    // tells a deep link there is no conversation yet); tests check outcomes for those.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  return { context, page, errors, screenName: uniqueName(prefix), name: `${prefix[0].toUpperCase()}${prefix.slice(1)}` };
}

export async function signUp(p) {
  await p.page.goto(`${BASE}/signup`);
  await p.page.getByLabel('Username').fill(p.screenName);
  await p.page.getByLabel('Name', { exact: true }).fill(p.name);
  await p.page.getByLabel('Password').fill('correct horse battery');
  await p.page.getByRole('button', { name: 'Create account' }).click();
  await see(p.page.getByRole('heading', { name: 'Messages' }));
  p.id = await p.page.evaluate(() => window.postern.me.id);
  await live(p.page);
}

/** Waits until the page's stream is connected. */
export async function live(page) {
  await page.waitForFunction(() => window.postern.stream.state === 'live', null, { timeout: WAIT_MS });
}

export async function see(locator, timeout = WAIT_MS) {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

export async function gone(locator, timeout = WAIT_MS) {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** Polls until `fn()` returns truthy; fails with `what` after the deadline. */
export async function until(fn, what, timeout = WAIT_MS) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function count(locator, n, what) {
  await until(async () => (await locator.count()) === n, `${n} × ${what}`);
}

/** The message bubbles (as text) in the open conversation. */
export function bubbles(page) {
  return page.locator('.timeline .msg .bubble');
}

export function message(page, text) {
  return page.locator('.timeline .msg').filter({ has: page.locator('.bubble', { hasText: text }) });
}

/** Types into the composer and presses Enter. */
export async function send(page, text) {
  const box = page.getByRole('textbox', { name: 'Message text' });
  await box.fill(text);
  await box.press('Enter');
  await see(message(page, text));
  await until(async () => (await box.inputValue()) === '', 'the composer to empty after sending');
}

export async function openConversationWith(p, other) {
  await p.page.getByRole('link', { name: new RegExp(other.name) }).first().click();
  await see(p.page.getByRole('textbox', { name: 'Message text' }));
}

export async function follow(p, other) {
  await p.page.goto(`${BASE}/${other.screenName}`);
  await p.page.getByRole('button', { name: 'Follow', exact: true }).click();
  await see(p.page.getByRole('button', { name: 'Following' }));
}

/** A screenshot named `name` (`dir/name` for one that only checks a variant). */
export async function shot(page, name) {
  if (!SHOTS) return;
  const path = join(SHOTS, `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
}

/** Opens a message's "More actions" menu and picks `item`. */
export async function messageAction(page, text, item) {
  const m = message(page, text);
  await m.hover();
  await m.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/** A request to the native API with a bearer token, from the test itself (not a browser). */
export async function apiCall(token, method, path, body) {
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** An account made through the API: { id, token, screenName }. */
export async function apiUser(prefix) {
  const screenName = uniqueName(prefix);
  const body = await apiCall(null, 'POST', '/accounts', { screen_name: screenName, password: 'correct horse battery' });
  return { id: body.user.id, token: body.token, screenName };
}

/**
 * A head-and-shoulders picture, drawn in the page: what a profile photo looks like, and its
 * subject is in the middle, where an avatar's square is cut.
 */
export async function portrait(page, width = 800, height = 600, hue = 200) {
  const bytes = await page.evaluate(async ([w, h, hue]) => {
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext('2d');
    g.fillStyle = `hsl(${hue} 55% 70%)`;
    g.fillRect(0, 0, w, h);
    const side = Math.min(w, h);
    g.fillStyle = `hsl(${(hue + 180) % 360} 35% 35%)`;
    g.beginPath();
    g.ellipse(w / 2, h / 2 + side * 0.55, side * 0.36, side * 0.3, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = 'hsl(28 45% 72%)';
    g.beginPath();
    g.arc(w / 2, h / 2 - side * 0.05, side * 0.2, 0, Math.PI * 2);
    g.fill();
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, [width, height, hue]);
  return new Uint8Array(bytes);
}

/** Picks `bytes` as a person's profile photo in Settings, as they would. */
export async function setPhoto(p, bytes) {
  await p.page.goto(`${BASE}/settings`);
  const chooser = p.page.waitForEvent('filechooser');
  await p.page.getByRole('button', { name: /^(Upload|Change) photo$/ }).click();
  await (await chooser).setFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(bytes) });
  await see(p.page.getByRole('button', { name: 'Change photo' }));
}

/** A JPEG of `width`×`height` drawn in the page (a gradient, so scaling would show). */
export async function photo(page, width, height) {
  const bytes = await page.evaluate(async ([w, h]) => {
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext('2d');
    const gradient = g.createLinearGradient(0, 0, w, h);
    gradient.addColorStop(0, '#1d9bf0');
    gradient.addColorStop(1, '#f4b400');
    g.fillStyle = gradient;
    g.fillRect(0, 0, w, h);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, [width, height]);
  return new Uint8Array(bytes);
}

/** Uploads `bytes` as `type` through the API; returns the media id. */
export async function upload(token, bytes, type = 'image/jpeg') {
  const form = new FormData();
  form.append('media', new Blob([bytes], { type }), type === 'video/mp4' ? 'clip.mp4' : 'photo.jpg');
  const response = await fetch(`${BASE}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = await response.json();
  if (response.status !== 201) throw new Error(`upload: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

/** The page's box of the first element matching `selector`, or null. */
export function box(page, selector) {
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
  }, selector);
}

/** Phone and desktop, each light and dark: the views every page is shot in. */
const VIEWS = [
  [{ width: 390, height: 844 }, 'light'], [{ width: 390, height: 844 }, 'dark'],
  [{ width: 1280, height: 820 }, 'light'], [{ width: 1280, height: 820 }, 'dark'],
];

/**
 * Shoots `name` (`dir/name`) in every view, checking nothing runs off the side, then goes
 * back to desktop and light. `prepare(page)` runs in each view first (to scroll something
 * into sight).
 */
export async function shootAll(page, name, { prepare } = {}) {
  for (const [viewport, scheme] of VIEWS) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: scheme });
    await prepare?.(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${name} fits ${viewport.width} px (scrolls to ${wide})`);
    await shot(page, `${name}-${viewport.width}-${scheme}`);
  }
  await page.setViewportSize({ width: 1280, height: 820 });
  await page.emulateMedia({ colorScheme: 'light' });
}
