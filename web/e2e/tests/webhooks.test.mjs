// Webhooks (issue 18) as an account holder sees them: add one with a URL and events, see its
// secret once, send a test, read the delivery log (a real receiver on this machine), turn it
// off and on, and see a refusal beside the URL field; and as an app's owner, the log of the
// app's Account Activity webhook, a row per POST. Shot at 390 px and desktop, light and dark.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BASE, apiCall, apiUser, follow, gone, launch, person, see, signUp, until, shootAll } from '../lib.mjs';

describe('webhooks', () => {
  let browser;
  let owner;
  let receiver;
  const heard = [];
  let status = 200;
  // The consumer secret Account Activity's CRC is answered with.
  let crcSecret = '';

  before(async () => {
    receiver = createServer((req, res) => {
      const token = new URL(req.url, 'http://receiver').searchParams.get('crc_token');
      if (req.method === 'GET' && token) {
        const answer = `sha256=${createHmac('sha256', crcSecret).update(token).digest('base64')}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_token: answer }));
        return;
      }
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        heard.push({ headers: req.headers, body: JSON.parse(body || 'null') });
        res.writeHead(status).end();
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    browser = await launch();
    owner = await person(browser, 'brand');
    owner.name = 'Acme Support Operations Team';
    await signUp(owner);
  });

  after(async () => {
    await browser?.close();
    receiver?.close();
  });

  it('adds a webhook, tests it, shows its deliveries, and turns it off and on', async () => {
    const { page } = owner;
    const url = `http://127.0.0.1:${receiver.address().port}/postern/hooks/incoming-events`;
    await page.goto(`${BASE}/settings`);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await see(page.getByRole('heading', { name: 'Webhooks', exact: true }));
    await page.getByLabel('URL').fill(url);
    await page.getByLabel('New messages').check();
    await page.getByLabel('Read receipts').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Webhook added' });
    await see(dialog);
    const secret = (await dialog.locator('code').textContent()).trim();
    assert.match(secret, /^whsec_/);
    await shootAll(page, 'webhooks/secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await gone(dialog);
    const row = page.getByRole('listitem').filter({ hasText: url });
    await see(row.getByText('Active'));

    // A test reaches the receiver, signed, and the log shows it.
    await row.getByRole('button', { name: `Send a test to ${url}` }).click();
    await see(page.getByText(/Test delivered: 200/));
    const ping = await until(() => heard.find((h) => h.body?.type === 'ping'), 'the ping at the receiver');
    assert.match(ping.headers['postern-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(ping.headers['content-type'], 'application/json');
    await row.getByRole('button', { name: `Deliveries to ${url}` }).click();
    await see(row.locator('.log-table').getByText('Test'));
    await shootAll(page, 'webhooks/webhooks');

    // A receiver that refuses shows as a failed test, in words.
    status = 503;
    await row.getByRole('button', { name: `Send a test to ${url}` }).click();
    await see(page.getByText(/Test not delivered: the receiver answered 503/));
    await see(row.locator('.log-table').getByText('the receiver answered 503'));
    await shootAll(page, 'webhooks/failed-test');
    status = 200;

    await row.getByRole('button', { name: 'Turn off' }).click();
    await see(row.getByText('Off'));
    await row.getByRole('button', { name: 'Turn on' }).click();
    await see(row.getByText('Active'));

    // A message arrives, then the last hour is replayed: the same event again, same id.
    const carol = await apiUser('carol');
    await follow(owner, carol);
    await page.goto(`${BASE}/i/webhooks`);
    await apiCall(carol.token, 'POST', `/messages/with/${owner.id}`, { text: 'Where is my order?' });
    const first = await until(() => heard.find((h) => h.body?.type === 'message.created'), 'the message at the receiver');
    await row.getByRole('button', { name: `Replay events to ${url}` }).click();
    const dialog2 = page.getByRole('dialog', { name: 'Replay events' });
    await see(dialog2.getByLabel('From'));
    await shootAll(page, 'webhooks/replay');
    await dialog2.getByRole('button', { name: 'Replay' }).click();
    await see(page.getByText('Replay complete: 1 delivered'));
    const again = heard.filter((h) => h.body?.type === 'message.created');
    assert.equal(again.length, 2, 'delivered live, then replayed');
    assert.equal(again[1].body.id, first.body.id);
    assert.equal(owner.errors.length, 0, owner.errors.join('\n'));
  });

  it('shows an app’s owner its Account Activity webhook’s log, a row per POST', async () => {
    const { page } = owner;
    const name = 'Acme Order Status Assistant Bot';
    await page.goto(`${BASE}/i/apps`);
    await page.getByRole('textbox', { name: 'Name' }).fill(name);
    await page.getByRole('button', { name: 'Create app' }).click();
    const secrets = page.getByRole('dialog', { name: `${name} is ready` });
    const secret = async (label) => (await secrets.locator('dd', { has: page.getByRole('button', { name: `Copy ${label}` }) })
      .locator('code').textContent()).trim();
    crcSecret = await secret('Consumer secret');
    const bearer = await secret('Bearer token');
    await secrets.getByRole('button', { name: 'Done' }).click();
    await gone(secrets);
    const row = page.getByRole('listitem').filter({ hasText: name });
    await row.getByRole('button', { name: 'Access tokens' }).click();
    await page.getByRole('button', { name: 'Make tokens' }).click();
    const tokens = page.getByRole('dialog', { name: `Your access tokens for ${name}` });
    const user = (await tokens.locator('dd', { has: page.getByRole('button', { name: 'Copy OAuth 2.0 token' }) })
      .locator('code').textContent()).trim();
    await tokens.getByRole('button', { name: 'Done' }).click();
    await gone(tokens);
    // No webhook yet: the dialog says how to make one.
    await row.getByRole('button', { name: `Webhooks of ${name}` }).click();
    const empty = page.getByRole('dialog', { name: `${name}’s webhooks` });
    await see(empty.getByText(/None yet/));
    await shootAll(page, 'apps/webhook-log-empty');
    await empty.getByRole('button', { name: 'Done' }).click();
    await gone(empty);

    // Registered through X's v2 paths (the receiver answers the CRC), the owner subscribed.
    const v2 = async (token, path, body) => {
      const r = await fetch(`${BASE}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      const text = await r.text();
      assert.ok(r.ok, `${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    };
    const url = `http://127.0.0.1:${receiver.address().port}/twitter/account-activity/webhook`;
    const hook = await v2(bearer, '/2/webhooks', { url });
    await v2(user, `/2/account_activity/webhooks/${hook.data.id}/subscriptions/all`);

    // Refused once, the first message is tried again 3 s later with the rest behind it: one POST.
    const dave = await apiUser('dave');
    await follow(owner, dave);
    status = 500;
    await apiCall(dave.token, 'POST', `/messages/with/${owner.id}`, { text: 'Hi, is order 1001 on its way?' });
    await until(() => heard.find((h) => h.body?.direct_message_events), 'the refused POST');
    status = 200;
    for (const text of ['It was due Tuesday.', 'The tracking link says “label created”.', 'Can you check?']) {
      await apiCall(dave.token, 'POST', `/messages/with/${owner.id}`, { text });
    }
    await until(() => heard.some((h) => h.body?.direct_message_events?.length === 4), 'the four waiting messages in one POST', 15000);

    await page.goto(`${BASE}/i/apps`);
    await row.getByRole('button', { name: `Webhooks of ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `${name}’s webhooks` });
    await see(dialog.getByText(url));
    await see(dialog.getByText('Valid: answers the CRC'));
    await see(dialog.locator('.log-table').getByText('· 4 events'));
    await see(dialog.locator('.log-table').getByText('the receiver answered 500'));
    await shootAll(page, 'apps/webhook-log');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await gone(dialog);
    assert.equal(owner.errors.length, 0, owner.errors.join('\n'));
  });

  it('says why a private address is refused, beside the field', async () => {
    const { page } = owner;
    await page.goto(`${BASE}/i/webhooks`);
    await page.getByLabel('URL').fill('http://169.254.169.254/latest/meta-data/');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await see(page.locator('.field-error', { hasText: /private or reserved address/ }));
    await shootAll(page, 'webhooks/refused');
    assert.equal(owner.errors.length, 0, owner.errors.join('\n'));
  });
});
