// Bots and hand-over (issue 18) as a brand and its customer meet them: the brand builds its
// bot's greeting in the bot builder (with its live preview), a customer meets the bot, taps
// "Talk to a person", the agent answers while the bot stays silent, then hands back and the
// bot answers again. Shot at 390 px and desktop, light and dark.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE, apiCall, apiUser, gone, launch, message, person, photo, see, send, shootAll, signUp, until, upload } from '../lib.mjs';

describe('bots and hand-over', () => {
  let browser;
  let brand;
  let agent;
  let customer;

  before(async () => {
    browser = await launch();
    brand = await apiUser('acme');
    await apiCall(brand.token, 'PATCH', '/me', { name: 'Acme Support Operations Team' });
    await apiCall(brand.token, 'PUT', '/me/support', { enabled: true });
    const bot = await apiCall(brand.token, 'POST', '/custom_profiles', { name: 'Acme Bot' });
    brand.bot = bot;
    await apiCall(brand.token, 'POST', '/flows', {
      name: 'Talk to a person', trigger: { type: 'quick_reply', metadata: 'talk-to-a-person' },
      custom_profile_id: bot.id,
      steps: [{ type: 'handover', text: 'Connecting you to a person. Someone from the team will answer here shortly.', note: 'Asked for a person' }],
    });
    await apiCall(brand.token, 'POST', '/flows', {
      name: 'Goodbye', trigger: { type: 'keyword', keywords: ['bye', 'thanks'] }, custom_profile_id: bot.id,
      steps: [{ type: 'reply', text: 'Glad we could help. Goodbye from the Acme bot!' }],
    });
    agent = await person(browser, 'acme');
    agent.screenName = brand.screenName;
    await agent.page.goto(`${BASE}/login`);
    await agent.page.getByLabel('Username').fill(brand.screenName);
    await agent.page.getByLabel('Password').fill('correct horse battery');
    await agent.page.getByRole('button', { name: 'Log in' }).click();
    await see(agent.page.getByRole('heading', { name: 'Messages' }));
    customer = await person(browser, 'carol');
    customer.name = 'Carolina Montgomery-Fitzwilliam';
    await signUp(customer);
  });

  after(async () => {
    await browser?.close();
  });

  it('builds a greeting in the bot builder with a live preview', async () => {
    const { page } = agent;
    await page.goto(`${BASE}/i/business`);
    await page.getByRole('link', { name: 'Bot', exact: true }).click();
    await see(page.getByRole('heading', { name: 'Bot', exact: true }));
    await see(page.getByText('Taps the quick reply “talk-to-a-person”'));
    await page.getByRole('button', { name: 'New flow' }).click();
    const dialog = page.getByRole('dialog', { name: 'New flow' });
    await dialog.getByLabel('Name', { exact: true }).fill('Greeting');
    await dialog.getByLabel('Speaks as').selectOption(brand.bot.id);
    await dialog.getByLabel('Message', { exact: true }).fill('Hi! I’m the Acme bot. I can track an order, or find you a person.');
    for (const label of ['Track my order', 'Talk to a person']) {
      await dialog.getByRole('button', { name: 'Add option' }).click();
      await dialog.locator('.edit-list[aria-label="Quick reply options"] li').last().getByLabel('Label').fill(label);
    }
    // A second step, to see the preview follow along.
    await dialog.getByRole('button', { name: 'Add step' }).click();
    await dialog.locator('.steps > li').last().getByLabel('What this step does').selectOption('ask');
    await dialog.locator('.steps > li').last().getByLabel('Question').fill('What’s your order number?');
    await see(dialog.locator('.welcome-preview .quick-reply', { hasText: 'Talk to a person' }));
    await see(dialog.locator('.welcome-preview', { hasText: 'As Acme Bot' }));
    await see(dialog.locator('.welcome-preview', { hasText: 'Waits for the answer, kept as ‹answer›' }));
    await shootAll(page, 'handover/flow-editor');
    // On a phone the preview is under the form.
    await shootAll(page, 'handover/flow-preview', {
      prepare: (p) => p.locator('dialog .welcome-preview').evaluate((el) => el.scrollIntoView({ block: 'end' })),
    });
    // The ask step is for another day: removed, the preview follows.
    await dialog.locator('.steps > li').last().getByRole('button', { name: 'Remove this step' }).click();
    await gone(dialog.locator('.welcome-preview', { hasText: 'Waits for the answer' }));
    await dialog.getByRole('button', { name: 'Create' }).click();
    await gone(dialog);
    await see(page.getByText('Flow created'));
    await see(page.getByRole('listitem').filter({ hasText: 'Greeting' }));
    const { flows } = await apiCall(brand.token, 'GET', '/flows');
    const greeting = flows.find((f) => f.name === 'Greeting');
    assert.deepEqual(greeting.trigger, { type: 'first_contact' });
    assert.deepEqual(greeting.steps[0].quick_reply.options.map((o) => o.metadata), ['track-my-order', 'talk-to-a-person']);
    await page.evaluate(() => document.getElementById('toasts').replaceChildren());
    await shootAll(page, 'handover/flows');
  });

  it('hands a customer to a person, keeps the bot quiet, and hands back', async () => {
    const { page } = customer;
    const conversation = [brand.id, customer.id].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)).join('-');
    await page.goto(`${BASE}/messages/compose?recipient_id=${brand.id}`);
    await send(page, 'Hi, my parcel never arrived');
    await see(message(page, 'I’m the Acme bot'));
    await see(page.locator('.timeline .msg', { hasText: 'Acme Bot' }).first());
    await page.getByRole('button', { name: 'Talk to a person' }).click();
    await see(message(page, 'Connecting you to a person'));

    // The agent sees who answers now, with why.
    const a = agent.page;
    await a.goto(`${BASE}/messages`);
    await a.getByRole('link', { name: new RegExp(customer.name) }).first().click();
    const bar = a.getByRole('region', { name: 'Who is answering' });
    await see(bar.getByText('You’re answering this conversation.'));
    await see(bar.getByText('Asked for a person'));
    await shootAll(a, 'handover/agent-holds');
    // The bot asks for it back, with a long note: the bar says so, live, and still fits.
    await apiCall(brand.token, 'PUT', `/conversations/${conversation}/control`, {
      action: 'request',
      note: 'Carolina asked for a refund for order A-1729 and a replacement shipped to her new address in Manchester; the warehouse confirmed it left today.',
    });
    await see(bar.getByText(/The bot asks to take over: Carolina asked for a refund/));
    await shootAll(a, 'handover/bot-asks');

    // The customer writes again: the bot says nothing over the person.
    await send(page, 'Hello? Is anyone there?');
    await send(a, 'Hi Carolina, Maria here. I’m looking into your parcel now.');
    await see(message(page, 'Maria here'));
    const texts = await page.locator('.timeline .msg .bubble').allTextContents();
    assert.ok(!texts.slice(-3).some((t) => t.includes('Acme bot')), `the bot stayed silent: ${texts.slice(-3)}`);
    await shootAll(page, 'handover/customer-with-agent');

    // Resolved: back to the bot, which answers again.
    await bar.getByRole('button', { name: 'Hand back to bot' }).click();
    await see(bar.getByText('Your bot is answering this conversation.'));
    await send(page, 'Found it, thanks!');
    await see(message(page, 'Goodbye from the Acme bot'));
    await see(message(a, 'Goodbye from the Acme bot'));
    // The bot speaks again, with a landscape photo, to a customer on a phone: it shows whole,
    // at the end of the conversation.
    await page.setViewportSize({ width: 390, height: 844 });
    const shop = await upload(brand.token, await photo(page, 1200, 600));
    await apiCall(brand.token, 'POST', `/messages/with/${customer.id}`, { text: 'Our shop, where your parcel left from', media_id: shop });
    await see(message(a, 'Our shop, where your parcel left from').locator('img'));
    const arrived = message(page, 'Our shop, where your parcel left from').locator('img');
    await see(arrived);
    await until(() => arrived.evaluate((img) => img.complete), 'the photo to load');
    await until(() => page.locator('.timeline').evaluate((t) => t.scrollHeight - t.scrollTop - t.clientHeight < 2),
      'the conversation to stay at its end as the photo arrives');
    await page.setViewportSize({ width: 1280, height: 820 });
    await a.evaluate(() => document.getElementById('toasts').replaceChildren());
    await shootAll(a, 'handover/bot-again');
    await shootAll(page, 'handover/customer-after');
    const control = await until(async () => {
      const c = await apiCall(brand.token, 'GET', `/conversations/${conversation}/control`);
      return c.controller === 'bot' && c;
    }, 'the bot in control');
    assert.equal(control.controller, 'bot');
    assert.deepEqual(agent.errors, []);
    assert.deepEqual(customer.errors, []);
  });
});
