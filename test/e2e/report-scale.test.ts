/**
 * `report` on one million events streamed through a pipe: the CLI keeps
 * aggregates and capped samples only, so its memory and the file it writes
 * stay bounded. The heap is capped at 64 MB: a report that held every event
 * (hundreds of bytes each) would die of an out-of-memory error long before
 * the end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, it } from 'node:test';
import { binRun } from '../helpers.js';

const EVENTS = 1_000_000;
const NAMES = ['read', 'write', 'openat', 'close', 'newfstatat', 'mmap', 'futex', 'epoll_wait', 'recvfrom', 'sendto', 'connect', 'ioctl', 'lseek', 'brk', 'rt_sigaction', 'getpid', 'clock_nanosleep', 'poll', 'accept4', 'madvise'];
const ERRNOS = ['ENOENT', 'EAGAIN', 'ENOTTY', 'ECONNREFUSED'];
const HEAP_MB = 64;
const MAX_RSS_MB = 200;
const MAX_FILE_BYTES = 2 * 1024 * 1024;

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'stracectl-report-scale-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Event i: 20 syscalls, 8 pids, every 7th call fails, 50 µs apart (so 50 s of trace). */
function line(i: number): string {
  const failed = i % 7 === 0;
  const micros = i * 50;
  const seconds = Math.floor(micros / 1e6);
  const stamp = `2026-11-27T20:${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}.${String(micros % 1e6).padStart(6, '0')}Z`;
  return `{"pid":${1000 + (i % 8)},"name":"${NAMES[i % NAMES.length]}","args":"3, \\"/srv/data/file-${i % 1000}\\", 4096","ret":"${failed ? -1 : 4096}","latency_ns":${1000 + ((i * 7919) % 100_000)},"error":"${failed ? ERRNOS[i % ERRNOS.length] : ''}","timestamp":"${stamp}"}`;
}

it(`writes a bounded report from ${EVENTS.toLocaleString('en-US')} streamed events in bounded memory`, { timeout: 120_000 }, async () => {
  const file = join(dir, 'report.html');
  const rssFile = join(dir, 'maxrss');
  const preload = join(dir, 'maxrss.mjs');
  // process.resourceUsage().maxRSS is the child's peak resident set, in KiB.
  writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', pathToFileURL(preload).href, binRun, 'report', '-o', file, '--title', 'one million'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  let inputBytes = 0;
  let errors = 0;
  for (let start = 0; start < EVENTS; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(EVENTS, start + 10_000); i++) {
      lines.push(line(i));
      if (i % 7 === 0) errors++;
    }
    const chunk = lines.join('\n') + '\n';
    inputBytes += chunk.length;
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  const status = await closed;

  assert.equal(status, 0, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /wrote .*report\.html \(1,000,000 calls, [\d,]+ KiB\)/);
  const maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
  const size = statSync(file).size;
  process.stderr.write(`# report-scale: input ${(inputBytes / 1024 / 1024).toFixed(0)} MiB, peak RSS ${maxRssMb.toFixed(0)} MiB, report ${(size / 1024).toFixed(0)} KiB\n`);
  assert.ok(maxRssMb < MAX_RSS_MB, `peak RSS ${maxRssMb.toFixed(0)} MiB`);
  assert.ok(maxRssMb * 1024 * 1024 < inputBytes, 'the process never held its input');
  assert.ok(size < MAX_FILE_BYTES, `report is ${size} bytes`);

  const html = readFileSync(file, 'utf8');
  const data = JSON.parse(/<script type="application\/json" id="stracectl-data">([^<]*)<\/script>/.exec(html)![1]!) as { events: number; errors: number; stats: Array<{ name: string; count: number }> };
  assert.equal(data.events, EVENTS);
  assert.equal(data.errors, errors);
  assert.equal(data.stats.length, NAMES.length);
  assert.equal(data.stats.find((s) => s.name === 'fstat')?.count, EVENTS / NAMES.length, 'newfstatat counted as fstat');
  assert.match(html, /<div class="k">Time range<\/div><div class="v">50\.0s<\/div>/);
});
