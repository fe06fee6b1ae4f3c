/**
 * `stracectl report` on the built CLI: the file it writes, and the rules it
 * shares with every filter (bad lines, --strict, SIGINT on a pipe, usage and
 * output errors). Nothing ever goes to stdout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binRun, fixturesDir, readJson, runCli } from '../helpers.js';

const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
const badPath = join(fixturesDir, 'ndjson/bad.ndjson');
const bad = readJson<{ invalid_lines: number[]; valid_events: number }>(join(fixturesDir, 'ndjson/bad.expected.json'));

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'stracectl-report-cli-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const reportData = (file: string): { events: number; errors: number } =>
  JSON.parse(/<script type="application\/json" id="stracectl-data">([^<]*)<\/script>/.exec(readFileSync(file, 'utf8'))![1]!);

describe('stracectl report', () => {
  it('reads stdin and writes the report, saying so on stderr only', () => {
    const file = join(dir, 'stdin.html');
    const result = runCli(['report', '-o', file, '--title', 'fixture run'], { input: readFileSync(eventsPath) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^stracectl report: wrote .*stdin\.html \(1,266 calls, \d+ KiB\)\n$/);
    const data = reportData(file);
    assert.equal(data.events, 1266);
    assert.equal(data.errors, 190);
    assert.match(readFileSync(file, 'utf8'), /<h1>fixture run<\/h1>/);
  });

  it('reads the named files in turn (and - for stdin)', () => {
    const file = join(dir, 'files.html');
    const result = runCli(['report', eventsPath, '-', '-o', file], { input: readFileSync(eventsPath) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reportData(file).events, 2 * 1266);
  });

  it('skips bad lines with a warning naming each line, and reports the valid events', () => {
    const file = join(dir, 'bad.html');
    const result = runCli(['report', '-o', file], { input: readFileSync(badPath) });
    assert.equal(result.status, 0, result.stderr);
    for (const line of bad.invalid_lines) assert.match(result.stderr, new RegExp(`stracectl report: stdin:${line}: `));
    assert.match(result.stderr, /skipped 7 invalid lines/);
    assert.equal(reportData(file).events, bad.valid_events);
  });

  it('--strict exits 65 at the first bad line and writes no report', () => {
    const file = join(dir, 'strict.html');
    const result = runCli(['report', '-o', file, '--strict'], { input: readFileSync(badPath) });
    assert.equal(result.status, 65);
    assert.match(result.stderr, /stracectl report: stdin:4: /);
    assert.equal(existsSync(file), false);
  });

  it('without -o: usage error, exit 2, with a hint', () => {
    const result = runCli(['report'], { input: '' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^stracectl report: .*output/m);
    assert.match(result.stderr, /^hint: /m);
  });

  it('an unwritable output fails with exit 1 before reading the input', () => {
    const result = runCli(['report', '-o', join(dir, 'no/such/dir/r.html')], { input: readFileSync(eventsPath) });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^stracectl report: cannot write .*r\.html: no such directory$/m);
    const onDir = runCli(['report', '-o', dir], { input: '' });
    assert.equal(onDir.status, 1);
    assert.match(onDir.stderr, /is a directory/);
  });

  it('SIGINT on a pipe: stops reading, writes the report of what it read, exits 130', async () => {
    const file = join(dir, 'sigint.html');
    const child = spawn(process.execPath, [binRun, 'report', '-o', file], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const warned = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
        if (stderr.includes('stdin:51:')) resolve();
      }),
    );
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // 50 events then a bad line: its warning proves the 50 events before it were read.
    child.stdin.write(readFileSync(eventsPath, 'utf8').split('\n').slice(0, 50).join('\n') + '\nnot json\n');
    await warned;
    child.kill('SIGINT');
    const status = await closed;
    child.stdin.destroy();
    assert.equal(status, 130, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, /wrote .*sigint\.html \(50 calls/);
    assert.equal(reportData(file).events, 50);
  });
});
