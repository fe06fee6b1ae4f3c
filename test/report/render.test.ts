import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SyscallEvent } from '../../src/event.js';
import { lookup } from '../../src/kb/index.js';
import { escapeHtml } from '../../src/report/escape.js';
import { REPORT_LIMITS, renderReport } from '../../src/report/render.js';
import { ReportSession } from '../../src/report/timeline.js';
import { TraceSession } from '../../src/session.js';
import { fixturesDir, readEvents, readJson } from '../helpers.js';

const GENERATED_AT = '2026-11-27T21:00:00.000Z';
const fixtureEvents = readEvents(join(fixturesDir, 'ndjson/events.ndjson'));
const expected = readJson<{ events: number; total_errors: number; syscalls: Record<string, { error_breakdown?: Record<string, number> }> }>(join(fixturesDir, 'ndjson/events.expected.json'));

const event = (over: Partial<SyscallEvent>): SyscallEvent => ({ pid: 42, name: 'read', args: '3, "x", 1', ret: '1', latency_ns: 2000, error: '', timestamp: '2026-11-27T20:00:00.000000Z', ...over });

function sessionOf(events: readonly SyscallEvent[], session: TraceSession = new ReportSession()): TraceSession {
  for (const e of events) session.add(e);
  return session;
}

const count = (html: string, pattern: RegExp): number => html.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'))?.length ?? 0;
const dataBlock = (html: string): { events: number; errors: number; stats: Array<Record<string, unknown>> } =>
  JSON.parse(/<script type="application\/json" id="stracectl-data">([^<]*)<\/script>/.exec(html)![1]!);

describe('renderReport on a real trace (fixtures/ndjson/events.ndjson)', () => {
  const session = sessionOf(fixtureEvents);
  const html = renderReport(session, { title: 'perl + sort', command: 'perl t.pl; sort -u --parallel=2', generatedAt: GENERATED_AT });

  it('has the summary cards: time range, processes, totals, error rate', () => {
    assert.equal(expected.events, 1266);
    assert.match(html, /<div class="k">Calls<\/div><div class="v">1,266<\/div>/);
    assert.match(html, /<div class="k">Errors<\/div><div class="v">190<\/div><div class="s">error rate 15\.0%<\/div>/);
    assert.match(html, new RegExp(`<div class="k">Processes</div><div class="v">${session.pids.size}</div>`));
    assert.match(html, /<div class="k">Time range<\/div><div class="v">712ms<\/div><div class="s">2026-11-27T20:53:07\.739371Z → 2026-11-27T20:53:08\.451259Z<\/div>/);
  });

  it('shows the title, the command line and the pids in the header', () => {
    assert.match(html, /<title>perl \+ sort<\/title>/);
    assert.match(html, /<h1>perl \+ sort<\/h1>/);
    assert.match(html, /<dt>Command<\/dt><dd><code>perl t\.pl; sort -u --parallel=2<\/code><\/dd>/);
    assert.match(html, new RegExp(`<dt>PIDs seen</dt><dd>${[...session.pids].sort((a, b) => a - b).join(', ')}</dd>`));
  });

  it('has one sortable table row per syscall with P50/P95/P99, and the stats as JSON data', () => {
    const records = session.snapshot();
    assert.equal(count(html, /<tr data-i="/), records.length);
    for (const column of ['Calls', 'Errors', 'Err%', 'Avg', 'P50', 'P95', 'P99', 'Max', 'Total']) assert.match(html, new RegExp(`<button type="button">${column}</button>`));
    const data = dataBlock(html);
    assert.equal(data.events, 1266);
    assert.deepEqual(data.stats.map((s) => s.name), records.map((r) => r.name));
    assert.deepEqual(data.stats[0], { ...records[0] });
  });

  it('marks rows by the triage colours (red ERR% >= 50, yellow avg >= 5ms)', () => {
    const rowOf = (name: string): string => new RegExp(`<tr data-i="\\d+"[^>]*><td>(?:<a [^>]*>)?${name}<`).exec(html)?.[0] ?? '';
    assert.match(rowOf('ioctl'), /class="sev-red"/);
    assert.match(rowOf('pselect6'), /class="sev-yellow"/);
    assert.doesNotMatch(rowOf('mmap'), /class="sev-/);
  });

  it('has the category chart, calls over time and a latency histogram per syscall', () => {
    assert.match(html, /<section id="categories">.*<svg class="chart"[^>]*aria-label="share of calls per category"/s);
    const timeline = /<section id="timeline">.*?<\/section>/s.exec(html)?.[0] ?? '';
    assert.ok(count(timeline, /class="calls"/) > 10, 'bars in the timeline');
    assert.match(timeline, /Each bar is /);
    const histograms = count(html, /<figure id="lat-\d+">/);
    const withTiming = session.snapshot().filter((r) => r.max_ns > 0).length;
    assert.equal(histograms, Math.min(withTiming, REPORT_LIMITS.histograms));
    assert.match(html, /aria-label="latency histogram of write"/);
  });

  it('breaks errors down by errno with totals from the fixture truth', () => {
    const enoent = Object.values(expected.syscalls).reduce((sum, s) => sum + (s.error_breakdown?.ENOENT ?? 0), 0);
    assert.match(html, new RegExp(`<tr><td><code>ENOENT</code></td><td class="n">${enoent}</td>`));
    assert.match(html, /No such file or directory/);
  });

  it('lists recent failing calls with their args, newest first', () => {
    const section = /<section id="recent-errors">.*?<\/section>/s.exec(html)?.[0] ?? '';
    const times = [...section.matchAll(/<tr><td class="t"><code>([^<]+)<\/code>/g)].map((m) => m[1]!);
    assert.ok(times.length > 0 && times.length <= REPORT_LIMITS.recentErrors);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.match(section, /<td>ioctl<\/td><td class="args">/);
  });

  it('explains flagged rows with triage hints and knowledge-base notes', () => {
    const finding = /<article [^>]*id="finding-\d+"><h3><span class="tag red">[^<]*<\/span>ioctl<\/h3>.*?<\/article>/s.exec(html)?.[0];
    assert.ok(finding, 'a finding for ioctl');
    assert.match(finding, /ENOTTY/);
    assert.ok(finding.includes(escapeHtml(lookup('ioctl').notes)), 'KB notes');
    assert.match(html, /<a class="flag" href="#finding-\d+"/);
  });

  it('is deterministic: the same session and meta give the same bytes', () => {
    assert.equal(renderReport(session, { title: 'perl + sort', command: 'perl t.pl; sort -u --parallel=2', generatedAt: GENERATED_AT }), html);
  });
});

describe('renderReport: nothing leaves the page', () => {
  const html = renderReport(sessionOf(fixtureEvents), { generatedAt: GENERATED_AT });

  it('has no external URL, no src attribute, only in-page or data: links', () => {
    assert.doesNotMatch(html, /https?:|ftp:|\/\/[a-z0-9]/i);
    assert.doesNotMatch(html, /\ssrc=/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) assert.match(href!, /^(#[\w-]+|data:,)$/);
    const css = /<style>(.*?)<\/style>/s.exec(html)![1]!;
    assert.doesNotMatch(css, /url\(|@import|@font-face/);
  });

  it('has a strict CSP whose hashes match the inline style and script', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const style = /<style>(.*?)<\/style>/s.exec(html)![1]!;
    const script = /<script>(.*?)<\/script>/s.exec(html)![1]!;
    assert.ok(csp.includes(`style-src ${hash(style)}`));
    assert.ok(csp.includes(`script-src ${hash(script)}`));
    assert.equal(count(html, /<script\b/i), 2, 'the JSON data block and the sort script only');
  });
});

describe('renderReport escapes every piece of trace text', () => {
  const payloads = {
    name: '</script><script>alert("name")</script>',
    args: '"<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", \u2028<!--',
    ret: '"><svg onload=alert(3)>',
    error: '<b>EVIL</b>',
    pid: 31337,
  };
  const session = sessionOf([
    event({ name: payloads.name, args: payloads.args, ret: payloads.ret, error: payloads.error, pid: payloads.pid }),
    event({ name: 'openat', args: payloads.args, ret: '-1', error: 'ENOENT', timestamp: '<i>2026</i>' }),
  ]);
  const html = renderReport(session, { title: '<img src=x onerror=alert("title")>', command: `sh -c '<script>alert(4)</script>'`, generatedAt: '<u>now</u>' });

  it('renders payloads as text, never as markup', () => {
    assert.doesNotMatch(html, /<img|<svg onload|<b>EVIL|<i>2026|<u>now|<!--/i);
    assert.equal(count(html, /<script\b/i), 2);
    assert.equal(count(html, /<\/script/i), 2);
    assert.ok(html.includes(escapeHtml(payloads.args)), 'args shown escaped');
    assert.ok(html.includes(`<h1>${escapeHtml('<img src=x onerror=alert("title")>')}</h1>`));
  });

  it('keeps the data block valid JSON carrying the raw values', () => {
    const data = dataBlock(html);
    assert.ok(data.stats.some((s) => s.name === payloads.name));
    assert.ok(data.stats.some((s) => (s.error_breakdown as Record<string, number>)[payloads.error] === 1));
  });
});

describe('renderReport stays bounded', () => {
  it('caps rows, samples, findings, histograms and long args whatever the input', () => {
    const session = new ReportSession();
    const longArgs = `"${'A'.repeat(1_000_000)}"`;
    for (let i = 0; i < 3000; i++) {
      session.add(event({ name: `sys_${i}`, pid: 1000 + i, args: i === 0 ? longArgs : `"/path/${'x'.repeat(2000)}"`, ret: '-1', error: `E${i % 300}`, latency_ns: 1000 + i * 10, timestamp: `2026-11-27T20:00:${String(i % 60).padStart(2, '0')}.000000Z` }));
    }
    const html = renderReport(session, { generatedAt: GENERATED_AT });
    assert.ok(html.length < 3 * 1024 * 1024, `size ${html.length}`);
    assert.equal(count(html, /<tr data-i="/), REPORT_LIMITS.tableRows);
    assert.match(html, /2,000 less-called syscalls are not shown/);
    assert.equal(count(html, /<figure id="lat-/), REPORT_LIMITS.histograms);
    assert.equal(count(html, /<article class="finding/), REPORT_LIMITS.findings);
    assert.equal(count(html, /<td class="args">/), REPORT_LIMITS.recentErrors);
    assert.doesNotMatch(html, /A{601}/, 'long args are cut');
    assert.match(html, / … and 2,960 more</);
    assert.equal(count(html, /<tr><td><code>E\d+<\/code><\/td>/), REPORT_LIMITS.errnos);
  });
});

describe('renderReport edge cases', () => {
  it('renders an empty session', () => {
    const html = renderReport(new ReportSession(), { generatedAt: GENERATED_AT });
    assert.match(html, /<div class="k">Calls<\/div><div class="v">0<\/div>/);
    assert.match(html, /No calls\./);
    assert.match(html, /No timestamped calls\./);
    assert.equal(count(html, /<tr data-i="/), 0);
  });

  it('renders a plain TraceSession (no timeline kept) without the calls-over-time chart', () => {
    const html = renderReport(sessionOf(fixtureEvents, new TraceSession()), { generatedAt: GENERATED_AT });
    assert.doesNotMatch(html, /id="timeline"/);
    assert.match(html, /<div class="v">1,266<\/div>/);
    assert.match(html, /<td>ioctl<\/td><td class="args">/, 'recent failing calls come from detail()');
    assert.match(html, /<article [^>]*id="finding-\d+"><h3><span class="tag red">[^<]*<\/span>ioctl<\/h3>/);
  });

  it('says when the source had no timing instead of drawing empty histograms', () => {
    const html = renderReport(sessionOf([event({ latency_ns: 0 }), event({ name: 'write', latency_ns: 0 })]), { generatedAt: GENERATED_AT });
    assert.match(html, /No per-call latencies in this trace\./);
  });

  it('prefers the pids given in meta (capture -p) over those seen', () => {
    const html = renderReport(sessionOf([event({ pid: 5 }), event({ pid: 6 })]), { pids: [5], generatedAt: GENERATED_AT });
    assert.match(html, /<dt>Traced PIDs<\/dt><dd>5<\/dd>/);
  });

  it('shows lost events as a card', () => {
    const session = sessionOf([event({})]);
    session.add({ type: 'lost', count: 12, timestamp: '2026-11-27T20:00:00Z' });
    assert.match(renderReport(session, { generatedAt: GENERATED_AT }), /<div class="card bad"><div class="k">Lost events<\/div><div class="v">12<\/div>/);
  });
});
