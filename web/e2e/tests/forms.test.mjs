// Form errors stand beside the field they are about, in plain words, and what was typed
// stays: at phone width and on a desktop.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE, apiUser, launch, person, see, shot, signUp, until } from '../lib.mjs';

/** Whether the error sits under its field's input, inside the field. */
function besideItsField(page, inputLabel) {
  return page.evaluate((label) => {
    const input = [...document.querySelectorAll('label')].find((l) => l.textContent === label)?.control;
    const error = input?.closest('.field')?.querySelector('.field-error');
    if (!input || !error || error.hidden) return null;
    const [i, e] = [input.getBoundingClientRect(), error.getBoundingClientRect()];
    return { text: error.textContent, below: e.top >= i.bottom - 1 && e.top - i.bottom < 48, describes: input.getAttribute('aria-describedby').includes(error.id), invalid: input.getAttribute('aria-invalid') };
  }, inputLabel);
}

describe('forms', () => {
  let browser;
  let quinn;

  before(async () => {
    browser = await launch();
    quinn = await person(browser, 'quinn', { viewport: { width: 390, height: 844 } });
  });

  after(async () => {
    await browser?.close();
  });

  it('says beside the password what is wrong with it, keeping what was typed', async () => {
    const { page } = quinn;
    await page.goto(`${BASE}/signup`);
    await page.getByLabel('Username').fill(quinn.screenName);
    await page.getByLabel('Name', { exact: true }).fill('Quinn Q');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    const error = await (async () => {
      for (let i = 0; i < 100; i++) {
        const e = await besideItsField(page, 'Password');
        if (e) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    })();
    assert.ok(error, 'an error beside the password');
    assert.equal(error.text, 'Use 8 to 1024 characters (this has 5).');
    assert.deepEqual([error.below, error.describes, error.invalid], [true, true, 'true']);
    assert.equal(await page.locator('.form-error').isVisible(), false, 'nothing above the form');
    assert.equal(await page.getByLabel('Username').inputValue(), quinn.screenName);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Quinn Q');
    await shot(page, 'layout/form-error-phone');
  });

  it('says beside the username that it is taken', async () => {
    const { page } = quinn;
    const taken = await apiUser('taken');
    await page.getByLabel('Username').fill(taken.screenName);
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await see(page.getByText('That username is taken. Try another.'));
    const error = await besideItsField(page, 'Username');
    assert.equal(error?.below, true, JSON.stringify(error));
    assert.equal(await besideItsField(page, 'Password'), null, 'the password is fine now');
  });

  it('loads signed out, and after logging out, with no failing request', async () => {
    const rhea = await person(browser, 'rhea');
    const failed = [];
    rhea.page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    await rhea.page.goto(`${BASE}/messages`);
    await see(rhea.page.getByRole('heading', { name: 'Log in to Postern' }));
    assert.deepEqual(failed, [], 'a signed-out load');
    await signUp(rhea);
    await rhea.page.reload();
    await see(rhea.page.getByRole('heading', { name: 'Messages' }));
    await rhea.page.getByRole('button', { name: 'Log out' }).click();
    await see(rhea.page.getByRole('heading', { name: 'Log in to Postern' }));
    await rhea.page.reload();
    await see(rhea.page.getByRole('heading', { name: 'Log in to Postern' }));
    assert.deepEqual(failed, [], 'loads after logging out');
    assert.deepEqual(rhea.errors, []);
  });

  it('says beside the name in Settings that it cannot be blank, keeping the bio', async () => {
    const sam = await person(browser, 'sam', { viewport: { width: 390, height: 844 } });
    await signUp(sam);
    const { page } = sam;
    await page.goto(`${BASE}/settings`);
    await page.getByLabel('Bio').fill('Tea, trains and type.');
    await page.getByLabel('Name', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const error = await until(() => besideItsField(page, 'Name'), 'the error beside the name');
    assert.equal(error.text, 'Must not be empty.');
    assert.deepEqual([error.below, error.describes, error.invalid], [true, true, 'true']);
    assert.equal(await page.getByLabel('Bio').inputValue(), 'Tea, trains and type.');
    assert.equal(await page.locator('.form-error').isVisible(), false, 'nothing above the form');
    assert.deepEqual(sam.errors, []);
  });

  it('logged nothing unexpected', () => {
    assert.deepEqual(quinn.errors, []);
  });
});
