/**
 * The rules every filter command shares (SPEC "Behaviour of every filter"),
 * checked on the built CLI: bad lines, --strict, EPIPE, SIGINT on a pipe,
 * usage errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binRun, fixturesDir, readJson, runCli, runShell } from '../helpers.js';

const badPath = join(fixturesDir, 'ndjson/bad.ndjson');
const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
const bad = readJson<{ invalid_lines: number[]; valid_lines: number[] }>(join(fixturesDir, 'ndjson/bad.expected.json'));
const badLines = readFileSync(badPath, 'utf8').split('\n');

const FILTERS: Array<{ args: string[]; outputsEvents: boolean }> = [
  { args: ['filter'], outputsEvents: true },
  { args: ['filter', '--ok'], outputsEvents: true },
  { args: ['normalize'], outputsEvents: true },
  { args: ['aggregate'], outputsEvents: false },
  { args: ['top'], outputsEvents: false },
];

let dir: string;
let bigPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-filters-'));
  bigPath = join(dir, 'big.ndjson');
  const events = readFileSync(eventsPath, 'utf8');
  writeFileSync(bigPath, events.repeat(200)); // 253,200 events, ~55 MB
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const { args, outputsEvents } of FILTERS) {
  const name = args.join(' ');
  describe(`stracectl ${name}`, () => {
    it('skips each bad line with a warning naming its line number and keeps every valid event', () => {
      const result = runCli([...args], { input: readFileSync(badPath) });
      assert.equal(result.status, 0, result.stderr);
      for (const line of bad.invalid_lines) assert.match(result.stderr, new RegExp(`stdin:${line}: `), `line ${line}`);
      assert.match(result.stderr, /skipped 7 invalid lines/);
      assert.doesNotMatch(result.stderr, /[\u0000-\u0008\u000e-\u001f]/, 'binary junk must not reach the terminal');
      if (name === 'filter') {
        assert.deepEqual(result.stdout.trimEnd().split('\n'), bad.valid_lines.map((line) => badLines[line - 1]!.replace(/\r$/, '')));
      } else if (outputsEvents) {
        assert.ok(result.stdout.trimEnd().split('\n').length >= 1);
      } else {
        assert.ok(result.stdout.length > 0);
      }
    });

    it('--strict exits 65 at the first bad line', () => {
      const result = runCli([...args, '--strict'], { input: readFileSync(badPath) });
      assert.equal(result.status, 65);
      assert.match(result.stderr, /stdin:4: /);
    });

    it('exits 0 quietly when the reader goes away (| head -1)', () => {
      const result = runShell(`$RUN ${args.join(' ')} ${bigPath} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`);
      assert.match(result.stdout, /status=0/);
      assert.equal(result.stderr, '');
    });

    it('SIGINT on a pipe: stops reading, flushes, exits 130', async () => {
      const child = spawn(process.execPath, [binRun, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdin.write(readFileSync(eventsPath, 'utf8').split('\n').slice(0, 50).join('\n') + '\n');
      // Wait until the events went through (filters) or at least were read (aggregate/top).
      await new Promise((resolve) => setTimeout(resolve, outputsEvents ? 0 : 1500));
      if (outputsEvents) while (stdout.split('\n').length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGINT');
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      assert.equal(status, 130, stderr);
      if (name === 'filter') assert.equal(stdout.trimEnd().split('\n').length, 50);
      if (name === 'aggregate') assert.equal(stdout.trimEnd().split('\n').map((line) => JSON.parse(line).count).reduce((a, b) => a + b, 0), 50);
      if (name === 'top') assert.match(stdout, /CALLS/);
    });

    it('usage error: exit 2 with a one-line message and a hint', () => {
      const result = runCli([...args, '--no-such-flag']);
      assert.equal(result.status, 2);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, result.stderr);
      assert.match(lines[0]!, new RegExp(`^stracectl ${args[0]}: `));
      assert.match(lines[1]!, /^hint: /);
    });
  });
}

describe('input files', () => {
  it('a missing file is a runtime error (exit 1) with a clear message', () => {
    const result = runCli(['filter', '/nonexistent/events.ndjson']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^stracectl filter: cannot read \/nonexistent\/events.ndjson: no such file/);
  });

  it('reads several files in order, and - for stdin', () => {
    const result = runCli(['filter', eventsPath, '-', eventsPath], { input: '' });
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trimEnd().split('\n').length, 2 * 1266);
  });
});
