/**
 * `stracectl redact` on the built CLI: the contract of every filter (bad
 * lines, --strict, EPIPE, SIGINT, usage errors) and its own flags.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyscallEvent } from '../../src/event.js';
import { binRun, fixturesDir, readJson, runCli, runShell } from '../helpers.js';

const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
const badPath = join(fixturesDir, 'ndjson/bad.ndjson');
const fixture = readFileSync(eventsPath, 'utf8').trimEnd().split('\n');
const parseLines = (text: string): SyscallEvent[] => text.trimEnd().split('\n').map((line) => JSON.parse(line) as SyscallEvent);

const base = { pid: 7, ret: '17', latency_ns: 5000, error: '', timestamp: '2026-11-27T20:53:09.000000Z' };
const secrets = [
  { ...base, name: 'write', args: '3, "POST /login HTTP/1.1\\r\\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\\r\\n\\r\\npassword=hunter2"..., 300' },
  { ...base, name: 'openat', args: 'AT_FDCWD, "/home/alice/.aws/credentials", O_RDONLY', ret: '3' },
  { ...base, name: 'connect', args: '3, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.20.30.40")}, 16', ret: '0' },
  { ...base, name: 'write', args: '1, "ticket acme-004211 for bob@example.org", 38' },
];
const secretsInput = secrets.map((event) => JSON.stringify(event)).join('\n') + '\n';

let dir: string;
let bigPath: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-redact-'));
  bigPath = join(dir, 'big.ndjson');
  writeFileSync(bigPath, readFileSync(eventsPath, 'utf8').repeat(100));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('stracectl redact', () => {
  it('default (medium): every event comes out, in order, with only args/ret changed', () => {
    const result = runCli(['redact', eventsPath]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    const out = parseLines(result.stdout);
    const original = fixture.map((line) => JSON.parse(line) as SyscallEvent);
    assert.equal(out.length, 1266);
    out.forEach((event, i) => {
      const { args: _a, ret: _r, ...rest } = event;
      const { args: _oa, ret: _or, ...originalRest } = original[i]!;
      assert.deepEqual(rest, originalRest);
    });
    // Untouched events are written back byte for byte.
    const unchanged = result.stdout.trimEnd().split('\n').filter((line, i) => line === fixture[i]).length;
    assert.ok(unchanged > 500 && unchanged < 1266, `${unchanged} unchanged lines`);
    assert.doesNotMatch(result.stdout, /\/tmp\/stracectl-fixtures|\/usr\/lib/);
  });

  it('each level masks what its table says', () => {
    const low = parseLines(runCli(['redact', '--level', 'low'], { input: secretsInput }).stdout);
    assert.equal(low[0]!.args, '3, "POST /login HTTP/1.1\\r\\nAuthorization: Bearer <secret>\\r\\n\\r\\npassword=<secret>"..., 300');
    assert.equal(low[1]!.args, 'AT_FDCWD, "<dir>/credentials", O_RDONLY');
    assert.equal(low[2]!.args, '3, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("<ip>")}, 16');
    assert.equal(low[3]!.args, '1, "ticket acme-004211 for <email>", 38');
    const medium = parseLines(runCli(['redact'], { input: secretsInput }).stdout);
    assert.deepEqual(
      medium.map((event) => event.args),
      ['3, "<str>"..., 300', 'AT_FDCWD, "<path>", O_RDONLY', '3, {sa_family=AF_INET, sin_port=htons(<port>), sin_addr=inet_addr("<ip>")}, 16', '1, "<str>", 38'],
    );
    const high = runCli(['redact', '--level', 'high'], { input: JSON.stringify({ ...base, name: 'setuid', args: '1000', ret: '0' }) + '\n' });
    assert.equal(parseLines(high.stdout)[0]!.args, '<id>');
  });

  it('--pattern is repeatable and may come before the file argument', () => {
    const result = runCli(['redact', '--level', 'low', '--pattern', 'acme-\\d+', '--pattern', 'ticket', join(dir, 'secrets.ndjson')], {});
    assert.equal(result.status, 1, 'the file does not exist yet: it must be read as a file, not as a pattern');
    writeFileSync(join(dir, 'secrets.ndjson'), secretsInput);
    const ok = runCli(['redact', '--level', 'low', '--pattern', 'acme-\\d+', '--pattern', 'ticket', join(dir, 'secrets.ndjson')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(parseLines(ok.stdout)[3]!.args, '1, "<redacted> <redacted> for <email>", 38');
  });

  it('--hash is stable across runs, changes with the salt (flag or STRACECTL_REDACT_SALT), never hashes secrets', () => {
    const first = runCli(['redact', '--hash'], { input: secretsInput });
    const second = runCli(['redact', '--hash'], { input: secretsInput });
    assert.equal(first.status, 0, first.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.match(parseLines(first.stdout)[1]!.args, /^AT_FDCWD, "<path:[0-9a-f]{6}>", O_RDONLY$/);
    assert.match(first.stdout, /<ip:[0-9a-f]{6}>/);
    assert.doesNotMatch(first.stdout, /<secret:/);
    const salted = runCli(['redact', '--hash', '--salt', 's3'], { input: secretsInput });
    const saltedEnv = runCli(['redact', '--hash'], { input: secretsInput, env: { STRACECTL_REDACT_SALT: 's3' } });
    assert.notEqual(salted.stdout, first.stdout);
    assert.equal(saltedEnv.stdout, salted.stdout);
  });

  it('usage errors: exit 2 with a one-line message and a hint', () => {
    for (const args of [['--level', 'extreme'], ['--pattern', '(unclosed'], ['--pattern', 'x*'], ['--no-such-flag']]) {
      const result = runCli(['redact', ...args], { input: secretsInput });
      assert.equal(result.status, 2, args.join(' '));
      assert.equal(result.stdout, '');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, result.stderr);
      assert.match(lines[0]!, /^stracectl redact: /);
      assert.match(lines[1]!, /^hint: /);
    }
  });

  it('skips bad lines with a warning naming each, keeps every valid event; --strict exits 65', () => {
    const bad = readJson<{ invalid_lines: number[]; valid_lines: number[] }>(join(fixturesDir, 'ndjson/bad.expected.json'));
    const result = runCli(['redact'], { input: readFileSync(badPath) });
    assert.equal(result.status, 0);
    for (const line of bad.invalid_lines) assert.match(result.stderr, new RegExp(`stdin:${line}: `));
    assert.equal(result.stdout.trimEnd().split('\n').length, bad.valid_lines.length);
    const strict = runCli(['redact', '--strict'], { input: readFileSync(badPath) });
    assert.equal(strict.status, 65);
    assert.match(strict.stderr, /stdin:4: /);
  });

  it('exits 0 quietly when the reader goes away (| head -1)', () => {
    const result = runShell(`$RUN redact ${bigPath} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`);
    assert.match(result.stdout, /status=0/);
    assert.equal(result.stderr, '');
  });

  it('SIGINT on a pipe: flushes what was redacted, exits 130', async () => {
    const child = spawn(process.execPath, [binRun, 'redact'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stdin.write(fixture.slice(0, 40).join('\n') + '\n');
    while (stdout.split('\n').length < 41) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 130);
    assert.equal(stdout.trimEnd().split('\n').length, 40);
  });
});
