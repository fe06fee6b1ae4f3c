/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core)
 * against the built CLI: `serve` with a token, events piped in live.
 * Saves a screenshot to test-output/dashboard.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { StatsRecord } from '../../src/event.js';
import { rowSeverity } from '../../src/kb/triage.js';
import { repoRoot } from '../helpers.js';
import { eventsPath, makeEvent, startServe, type ServeProcess } from '../server/support.js';

const TOKEN = 'browser-token-3f9a';
const SCRIPT_ARGS = 'AT_FDCWD, "<script>window.__xss = 1</script>", O_RDONLY';
const IMG_ARGS = 'AT_FDCWD, "\\"><img src=x onerror=window.__xss=2>", O_RDONLY';
const EVIL_NAME = '"><img src=x onerror=window.__xss=3>';

describe('dashboard in chromium', () => {
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  before(async () => {
    server = await startServe([], { STRACECTL_TOKEN: TOKEN });
    server.child.stdin.write(readFileSync(eventsPath));
    for (const args of [SCRIPT_ARGS, IMG_ARGS]) server.child.stdin.write(JSON.stringify(makeEvent({ name: 'openat', args, error: 'ENOENT', ret: '-1' })) + '\n');
    server.child.stdin.write(JSON.stringify(makeEvent({ name: EVIL_NAME, args: '<b>bold</b>', error: 'EPERM', ret: '-1' })) + '\n');
    // Everything ingested before the page opens, so the page and /api/stats agree until the live step.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const health = (await (await fetch(`${server.url}healthz`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { events: number };
      if (health.events === 1269) break;
      if (Date.now() > deadline) throw new Error(`serve ingested only ${health.events} of 1269 events`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (socket) => requests.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    server?.kill();
  });

  async function stats(): Promise<StatsRecord[]> {
    return (await (await fetch(`${server.url}api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as StatsRecord[];
  }

  it('signs in with ?token=, loads, and fills the table with triage colours', async () => {
    await page.goto(`${server.url}?token=${TOKEN}`);
    assert.equal(new URL(page.url()).search, '', 'the token is removed from the address bar');
    await page.waitForSelector('#status.live');
    const expected = await stats();
    await page.waitForFunction((n) => document.querySelectorAll('#stats-body tr').length === n, expected.length);
    const rows = await page.$$eval('#stats-body tr', (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-name'), severity: tr.getAttribute('data-severity'), className: tr.className })));
    assert.deepEqual(rows.map((r) => r.name), expected.map((s) => s.name), 'sorted by calls, like /api/stats');
    for (const record of expected) {
      const row = rows.find((r) => r.name === record.name);
      const severity = rowSeverity(record) ?? 'none';
      assert.equal(row?.severity, severity, record.name);
      if (severity !== 'none') assert.match(row?.className ?? '', new RegExp(`row-${severity}`));
    }
    assert.ok(rows.some((r) => r.severity === 'red'), 'the fixture has red rows');
    assert.ok(rows.some((r) => r.severity === 'yellow'), 'the fixture has yellow rows');
    const segments = await page.$$eval('#catbar span', (spans) => spans.map((s) => s.getAttribute('data-category')));
    assert.deepEqual(new Set(segments), new Set(expected.map((s) => s.category)));
    await page.waitForFunction(() => document.querySelector('[data-counter="events"] dd')?.textContent === '1,269');
  });

  it('renders injected markup as text', async () => {
    const evilCell = await page.$$eval('#stats-body tr td:first-child a', (links) => links.map((a) => a.textContent));
    assert.ok(evilCell.includes(EVIL_NAME));
    await page.click('#tab-log');
    await page.waitForFunction((args) => [...document.querySelectorAll('#log-body td.args')].some((td) => td.textContent === args), IMG_ARGS);
    const cells = await page.$$eval('#log-body td.args', (tds) => tds.map((td) => td.textContent));
    assert.ok(cells.includes(SCRIPT_ARGS));
    assert.ok(cells.includes('<b>bold</b>'));
    assert.equal(await page.$$eval('main img, main script, main b', (nodes) => nodes.length), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await page.click('#tab-table');
  });

  it('sorts and filters the table', async () => {
    await page.click('th[data-key="name"]');
    const names = await page.$$eval('#stats-body tr', (trs) => trs.map((tr) => tr.getAttribute('data-name') ?? ''));
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
    assert.equal(await page.getAttribute('th[data-key="name"]', 'aria-sort'), 'ascending');
    await page.click('th[data-key="errors"]');
    const errors = await page.$$eval('#stats-body tr td:nth-child(4)', (tds) => tds.map((td) => Number((td.textContent ?? '').replace(/,/g, ''))));
    assert.deepEqual(errors, [...errors].sort((a, b) => b - a));
    await page.fill('#filter', 'open');
    await page.waitForFunction(() => [...document.querySelectorAll('#stats-body tr')].every((tr) => (tr.getAttribute('data-name') ?? '').includes('open')));
    assert.deepEqual(await page.$$eval('#stats-body tr', (trs) => trs.map((tr) => tr.getAttribute('data-name'))), ['openat']);
    await page.fill('#filter', '');
    await page.click('th[data-key="count"]');
  });

  it('receives live updates over the WebSocket', async () => {
    assert.equal(await page.$('#stats-body tr[data-name="listen"]'), null);
    server.child.stdin.write(JSON.stringify(makeEvent({ name: 'listen', args: '3, 128' })) + '\n');
    await page.waitForSelector('#stats-body tr[data-name="listen"]');
    await page.click('#tab-log');
    await page.waitForFunction(() => [...document.querySelectorAll('#log-body tr td:nth-child(3)')].some((td) => td.textContent === 'listen'));
    await page.click('#tab-table');
  });

  it('opens the detail page with the KB entry, errno breakdown, percentiles and recent errors', async () => {
    await Promise.all([page.waitForURL(/\/syscall\/openat$/), page.click('#stats-body tr[data-name="openat"] td:nth-child(3)')]);
    await page.waitForSelector('#detail-name');
    assert.equal(await page.textContent('#detail-name'), 'openat');
    assert.match((await page.textContent('#kb')) ?? '', /openat\(/);
    assert.match((await page.textContent('#errno-table')) ?? '', /ENOENT/);
    for (const key of ['p50', 'p95', 'p99']) assert.match((await page.textContent(`[data-stat="${key}"] dd`)) ?? '', /\d(ns|µs|ms|s)$/);
    const recent = await page.$$eval('#recent-errors td.args', (tds) => tds.map((td) => td.textContent));
    assert.ok(recent.includes(SCRIPT_ARGS) && recent.includes(IMG_ARGS));
    assert.match((await page.textContent('#hints')) ?? '', /ENOENT/);
    assert.equal(await page.$$eval('main img, main script', (nodes) => nodes.length), 0);

    await page.goto(`${server.url}syscall/${encodeURIComponent(EVIL_NAME)}`);
    await page.waitForSelector('#detail-name');
    assert.equal(await page.textContent('#detail-name'), EVIL_NAME);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  it('shows the "input ended" banner and stays usable', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#stats-body tr');
    server.child.stdin.end();
    await page.waitForSelector('#banner[data-banner="ended"]:not([hidden])');
    assert.match((await page.textContent('#banner')) ?? '', /Input ended/);
    assert.equal(await page.textContent('#status'), 'input ended');
    await Promise.all([page.waitForURL(/\/syscall\/read$/), page.click('#stats-body tr[data-name="read"] a')]);
    await page.waitForSelector('#detail-name');
    await page.goto(server.url);
    await page.waitForSelector('#banner[data-banner="ended"]:not([hidden])');
    await page.waitForSelector('#stats-body tr');
    mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-output/dashboard.png'), fullPage: true });
  });

  it('made no request outside the server and raised no page errors', () => {
    const origin = new URL(server.url);
    assert.ok(requests.length > 10);
    for (const url of requests) {
      const parsed = new URL(url);
      assert.equal(parsed.hostname, '127.0.0.1', url);
      assert.equal(parsed.port, origin.port, url);
    }
    assert.ok(requests.some((url) => url.startsWith('ws://127.0.0.1:')), 'the WebSocket was used');
    assert.deepEqual(problems, []);
  });
});
