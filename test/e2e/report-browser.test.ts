/**
 * The report opened from disk in headless Debian chromium (playwright-core):
 * nothing is requested but the file itself, the stats table sorts on click,
 * and markup injected through trace text shows as text and never runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fixturesDir, repoRoot, runCli } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

const PAYLOAD_ARGS = `"<script>window.__pwned='script'</script>", <img src=x onerror="window.__pwned='img'">, "\\"><svg onload=window.__pwned='svg'>"`;
const PAYLOAD_NAME = `</script><script>window.__pwned='name'</script>`;
const PAYLOAD_TITLE = `<img src=x onerror="window.__pwned='title'">`;

const injected = [
  { pid: 666, name: 'openat', args: PAYLOAD_ARGS, ret: '-1', latency_ns: 9000, error: 'ENOENT', timestamp: '2026-11-27T20:53:08.500000Z' },
  { pid: 666, name: PAYLOAD_NAME, args: PAYLOAD_ARGS, ret: `<img src=y onerror="window.__pwned='ret'">`, latency_ns: 7000, error: `<i onmouseover=x>E</i>`, timestamp: '2026-11-27T20:53:08.600000Z' },
];

let dir: string;
let file: string;
let fileUrl: string;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const routed: string[] = [];
const consoleMessages: string[] = [];
const pageErrors: string[] = [];
const dialogs: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-report-browser-'));
  file = join(dir, 'report.html');
  fileUrl = pathToFileURL(file).href;
  const input = readFileSync(join(fixturesDir, 'ndjson/events.ndjson'), 'utf8') + injected.map((e) => JSON.stringify(e)).join('\n') + '\n';
  const result = runCli(['report', '-o', file, '--title', PAYLOAD_TITLE, '--command', `perl -e '<script>alert(1)</script>'`], { input });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '', 'report writes nothing to stdout');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => consoleMessages.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // Everything that tries to leave the page is recorded and refused.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    routed.push(url);
    if (url === fileUrl) await route.continue();
    else await route.abort();
  });
  await page.goto(fileUrl, { waitUntil: 'load' });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RowData {
  name: string;
  count: number;
  p99_ns: number;
}

/** Table rows in display order, with their values from the page's JSON data block. */
async function rowsInOrder(): Promise<RowData[]> {
  return page.evaluate(() => {
    const stats = JSON.parse(document.getElementById('stracectl-data')!.textContent!).stats as RowData[];
    return Array.from(document.querySelectorAll<HTMLTableRowElement>('#stats-table tbody tr')).map((row) => stats[Number(row.dataset.i)]!);
  });
}

async function sortBy(label: string): Promise<string | null> {
  const header = page.locator('#stats-table thead th', { has: page.locator('button', { hasText: new RegExp(`^${label}$`) }) });
  await header.locator('button').click();
  return header.getAttribute('aria-sort');
}

describe('report in headless chromium', () => {
  it('requests nothing but the file itself', () => {
    assert.deepEqual(requests, [fileUrl]);
    assert.ok(routed.every((url) => url === fileUrl), `routed: ${routed.join(', ')}`);
    assert.deepEqual(pageErrors, []);
    // No CSP violation either: our own style and script are allowed by hash, nothing else tried to run.
    assert.deepEqual(consoleMessages, []);
  });

  it('applies the inline stylesheet under the CSP', async () => {
    const background = await page.locator('header').evaluate((element) => getComputedStyle(element).backgroundColor);
    assert.equal(background, 'rgb(29, 35, 43)');
  });

  it('renders injected <script> / onerror payloads as text and runs none of them', async () => {
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    assert.deepEqual(dialogs, []);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('main svg[onload], main i').count(), 0);
    assert.equal(await page.locator('h1').textContent(), PAYLOAD_TITLE);
    assert.equal(await page.title(), PAYLOAD_TITLE);
    const args = await page.locator('#recent-errors td.args').allTextContents();
    assert.ok(args.includes(PAYLOAD_ARGS), 'the args cell shows the payload verbatim');
    const names = await page.locator('#recent-errors tbody tr td:nth-child(3)').allTextContents();
    assert.ok(names.includes(PAYLOAD_NAME));
    assert.equal(await page.locator('header code').textContent(), `perl -e '<script>alert(1)</script>'`);
    assert.equal(await page.locator('script').count(), 2, 'only the data block and the sort script');
  });

  it('sorts the stats table when a column header is clicked', async () => {
    const initial = await rowsInOrder();
    assert.ok(initial.length > 30);
    assert.deepEqual(initial.map((r) => r.count), initial.map((r) => r.count).sort((a, b) => b - a), 'starts by calls, descending');

    assert.equal(await sortBy('Calls'), 'ascending');
    let rows = await rowsInOrder();
    assert.deepEqual(rows.map((r) => r.count), initial.map((r) => r.count).sort((a, b) => a - b));

    assert.equal(await sortBy('Syscall'), 'ascending');
    rows = await rowsInOrder();
    assert.deepEqual(rows.map((r) => r.name), [...rows.map((r) => r.name)].sort((a, b) => a.localeCompare(b)));
    assert.notDeepEqual(rows.map((r) => r.name), initial.map((r) => r.name));

    assert.equal(await sortBy('P99'), 'descending');
    rows = await rowsInOrder();
    assert.deepEqual(rows.map((r) => r.p99_ns), [...rows.map((r) => r.p99_ns)].sort((a, b) => b - a));
    assert.equal(await sortBy('P99'), 'ascending');
    rows = await rowsInOrder();
    assert.deepEqual(rows.map((r) => r.p99_ns), [...rows.map((r) => r.p99_ns)].sort((a, b) => a - b));
    assert.equal(await page.locator('#stats-table th[aria-sort]').count(), 1);
  });

  it('saves a screenshot under test-output/', async () => {
    await sortBy('Calls'); // back to the default order for the picture
    await sortBy('Calls');
    const out = join(repoRoot, 'test-output');
    mkdirSync(out, { recursive: true });
    const png = await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    assert.ok(png.length > 10_000);
    assert.deepEqual(requests, [fileUrl], 'still nothing requested after interacting');
  });
});
