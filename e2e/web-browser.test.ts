/**
 * The web client in a real browser (Debian's chromium, headless, through
 * playwright-core) against a real cluster whose api serves the built client:
 * alice and bob register, alice creates a private room and invites bob, bob
 * accepts, they chat both ways, bob uploads two files at once (one paused and
 * resumed) and alice downloads one byte for byte; then the gateway both use is
 * killed mid-conversation: both pages say "Reconnecting…", resume on the other
 * gateway, and each shows every message exactly once, in order.
 *
 * The browsers reach the gateways through a TCP proxy (e2e/switchable-proxy.ts,
 * standing in for a load balancer), whose URL the api hands the client in
 * /config.json. Needs `npm run build` (which bundles web/dist).
 * PARLEY_SCREENSHOTS=1 saves the main views to docs/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { startSwitchableProxy, type SwitchableProxy } from './switchable-proxy.js';

const CHROMIUM = '/usr/bin/chromium';
const WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));
const SCREENSHOTS = process.env.PARLEY_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : null;
const PASSWORD = 'correct horse battery';
const ROOM = 'launch-plans';

const skip = existsSync(CHROMIUM) ? false : `Debian chromium is not installed at ${CHROMIUM} (scripts/ensure-services.sh installs it)`;

interface Shown {
  seq: number;
  author: string;
  kind: string;
  text: string;
}

/** The rendered message list of the open room, as the user sees it. */
async function shownMessages(page: Page): Promise<Shown[]> {
  return page.locator('[data-testid="message-list"] [data-testid="message"]').evaluateAll((els: any[]) =>
    els.map((el) => ({
      seq: Number(el.dataset.seq),
      author: String(el.dataset.author),
      kind: String(el.dataset.kind),
      text: el.dataset.kind === 'file' ? String(el.querySelector('[data-testid="download-link"]')?.dataset.filename) : String(el.querySelector('[data-testid="message-body"]')?.textContent),
    })),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

const gatewayPort = (url: string) => Number(new URL(url).port);

describe('web client in chromium', { skip, timeout: 180_000 }, () => {
  let cluster: Cluster;
  let proxy: SwitchableProxy;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let alice: Page;
  let bob: Page;
  /** Every text message sent through the UI, in the order each author sent them. */
  const sent: { author: string; text: string }[] = [];
  const files = [
    { name: 'Quarterly report (final).bin', mimeType: 'application/octet-stream', buffer: randomBytes(1_500_000) },
    { name: 'notes – ü.txt', mimeType: 'text/plain', buffer: Buffer.from(`${'parley notes\n'.repeat(20_000)}`) },
  ];

  before(async () => {
    assert.ok(existsSync(`${WEB_DIR}index.html`), `${WEB_DIR} has no build: run npm run build`);
    const proxyPort = await freePort();
    cluster = await startCluster({ gateways: 2, env: { API_WEB_DIR: WEB_DIR, API_PUBLIC_WS_URL: `ws://127.0.0.1:${proxyPort}/v1/ws` } });
    proxy = await startSwitchableProxy(proxyPort, gatewayPort(cluster.gatewayUrls[0]!));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = async () => {
      const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, acceptDownloads: true, reducedMotion: 'reduce' });
      contexts.push(context);
      const p = await context.newPage();
      p.setDefaultTimeout(20_000);
      return p;
    };
    alice = await page();
    bob = await page();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  const register = async (page: Page, username: string, shot?: string) => {
    await page.goto(cluster.apiUrl);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill(PASSWORD);
    if (shot) await screenshot(page, shot);
    await page.getByTestId('register-submit').click();
    await page.getByTestId('whoami').filter({ hasText: username }).waitFor();
    await page.getByTestId('room-item').first().waitFor();
  };

  const send = async (page: Page, author: string, text: string) => {
    sent.push({ author, text });
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
  };

  /** Waits until the page shows these texts (in this order among its messages). */
  const waitForTexts = async (page: Page, texts: string[]) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const shown = (await shownMessages(page)).map((m) => m.text);
      const positions = texts.map((t) => shown.indexOf(t));
      if (positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))) return;
      if (Date.now() > deadline) assert.fail(`page never showed ${JSON.stringify(texts)}; it shows ${JSON.stringify(shown)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  test('register, create a private room, invite, accept', async () => {
    await register(alice, 'alice', 'login');
    await register(bob, 'bob');

    await alice.getByTestId('new-room').click();
    await alice.getByTestId('create-room-name').fill(ROOM);
    await alice.getByTestId('create-room-private').check();
    await alice.getByTestId('create-room-submit').click();
    await alice.locator(`[data-testid="room-view"][data-room-name="${ROOM}"]`).waitFor();
    await alice.getByTestId('invite-username').fill('bob');
    await alice.getByTestId('invite-submit').click();
    await alice.getByTestId('invite-status').filter({ hasText: 'Invited bob' }).waitFor();

    // The invitation reaches bob live.
    const invite = bob.locator(`[data-testid="invite-item"][data-room-name="${ROOM}"]`);
    await invite.getByTestId('invite-accept').click();
    await bob.locator(`[data-testid="room-view"][data-room-name="${ROOM}"]`).waitFor();
    await bob.locator(`[data-testid="room-item"][data-room-name="${ROOM}"][aria-current="page"]`).waitFor();
    assert.equal(await invite.count(), 0, 'the invitation is gone once accepted');
  });

  test('chat both ways, live', async () => {
    await send(alice, 'alice', 'Hi bob, welcome to the launch room');
    await waitForTexts(bob, ['Hi bob, welcome to the launch room']);
    await send(bob, 'bob', 'Thanks alice! Glad to be here.');
    await waitForTexts(alice, ['Hi bob, welcome to the launch room', 'Thanks alice! Glad to be here.']);
    for (let i = 1; i <= 3; i++) await send(i % 2 ? alice : bob, i % 2 ? 'alice' : 'bob', `checklist item ${i}`);
    const expected = ['Hi bob, welcome to the launch room', 'Thanks alice! Glad to be here.', 'checklist item 1', 'checklist item 2', 'checklist item 3'];
    await waitForTexts(alice, expected);
    await waitForTexts(bob, expected);
    await screenshot(alice, 'room');
  });

  test('bob uploads two files at once (pausing and resuming one); alice downloads one, byte for byte', async () => {
    // A slow uplink, so the progress bars are seen moving and the pause lands mid-upload.
    const cdp = await contexts[1]!.newCDPSession(bob);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 600_000 });
    await bob.getByTestId('upload-input').setInputFiles(files);
    const bars = bob.getByTestId('upload-progress');
    await bars.nth(1).waitFor();
    assert.equal(await bars.count(), 2, 'one progress bar per file');
    const big = bob.locator(`[data-testid="upload-item"][data-filename="${files[0]!.name}"]`);
    // Pause once some of it is sent, so the resume continues from the server's offset.
    const progressOf = async () => Number(await big.getByTestId('upload-progress').getAttribute('value'));
    while ((await progressOf()) === 0) await bob.waitForTimeout(50);
    await big.getByRole('button', { name: 'Pause' }).click();
    assert.equal(await big.getAttribute('data-state'), 'paused');
    const pausedAt = await progressOf();
    await screenshot(bob, 'uploads');
    await big.getByRole('button', { name: 'Resume' }).click();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    for (const f of files) {
      await bob.locator(`[data-testid="upload-item"][data-filename="${f.name}"][data-state="done"]`).waitFor();
    }
    assert.ok(pausedAt > 0 && pausedAt < files[0]!.buffer.length, `paused mid-upload (${pausedAt} of ${files[0]!.buffer.length})`);
    for (const page of [alice, bob]) {
      for (const f of files) await page.locator(`[data-testid="download-link"][data-filename="${f.name}"]`).waitFor();
    }

    const [download] = await Promise.all([alice.waitForEvent('download'), alice.locator(`[data-testid="download-link"][data-filename="${files[0]!.name}"]`).click()]);
    assert.equal(download.suggestedFilename(), files[0]!.name);
    const bytes = readFileSync((await download.path())!);
    assert.ok(bytes.equals(files[0]!.buffer), `downloaded ${bytes.length} bytes, identical to the ${files[0]!.buffer.length} uploaded`);
  });

  test('the gateway both use is killed mid-conversation: "Reconnecting…", then no message missing or doubled', async () => {
    await send(alice, 'alice', 'before the outage (alice)');
    await send(bob, 'bob', 'before the outage (bob)');
    await waitForTexts(alice, ['before the outage (alice)', 'before the outage (bob)']);

    // The balancer has not noticed yet: new connections fail while the gateway is gone.
    proxy.refuse();
    await cluster.gateways[0]!.kill('SIGKILL');
    for (const page of [alice, bob]) {
      await page.locator('[data-testid="connection-banner"]:visible').filter({ hasText: 'Reconnecting…' }).waitFor();
    }
    // Typed during the outage: these wait in the client and go out after the reconnect.
    await send(alice, 'alice', 'during the outage 1 (alice)');
    await send(bob, 'bob', 'during the outage (bob)');
    await send(alice, 'alice', 'during the outage 2 (alice)');
    await screenshot(alice, 'reconnecting');
    proxy.target(gatewayPort(cluster.gatewayUrls[1]!));
    for (const page of [alice, bob]) await page.getByTestId('connection-banner').waitFor({ state: 'hidden' });
    await send(bob, 'bob', 'after the outage (bob)');
    await send(alice, 'alice', 'after the outage (alice)');

    const texts = sent.map((s) => s.text);
    const expectedTexts = new Set([...texts, ...files.map((f) => f.name)]);
    for (const page of [alice, bob]) {
      await waitForTexts(page, ['after the outage (bob)']);
      await waitForTexts(page, ['after the outage (alice)']);
      await page.getByTestId('message-pending').waitFor({ state: 'detached' });
    }
    const views = await Promise.all([alice, bob].map(shownMessages));
    for (const [i, view] of views.entries()) {
      const who = i === 0 ? 'alice' : 'bob';
      const seqs = view.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${who}: in seq order`);
      assert.equal(new Set(seqs).size, seqs.length, `${who}: no seq twice`);
      const shown = view.map((m) => m.text);
      assert.equal(new Set(shown).size, shown.length, `${who}: no message twice: ${JSON.stringify(shown)}`);
      assert.deepEqual(new Set(shown), expectedTexts, `${who}: exactly the messages sent`);
      // Each author's messages in the order they were sent.
      for (const author of ['alice', 'bob']) {
        assert.deepEqual(
          view.filter((m) => m.author === author && m.kind === 'text').map((m) => m.text),
          sent.filter((s) => s.author === author).map((s) => s.text),
          `${who}: ${author}'s messages in order`,
        );
      }
    }
    assert.deepEqual(views[0], views[1], 'both views are the same');
  });

  test('every control has a name; the page fits 360 px and the navigation opens from a button', async () => {
    // An accessible name for every control: a <label>, aria-label or text.
    const unnamed = await alice.evaluate(`[...document.querySelectorAll('input, textarea, select, button, a[href]')]
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.textContent.trim()))
      .map((el) => el.outerHTML.slice(0, 120))`);
    assert.deepEqual(unnamed, []);
    await alice.setViewportSize({ width: 360, height: 740 });
    const overflow = await alice.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'no horizontal scrolling at 360 px');
    await screenshot(alice, 'mobile');
    const toggle = alice.getByRole('button', { name: 'Rooms', exact: true });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await alice.locator(`[data-testid="room-item"][data-room-name="global"]`).click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'choosing a room closes the navigation');
    await alice.locator('[data-testid="room-view"][data-room-name="global"]').waitFor();
  });
});
