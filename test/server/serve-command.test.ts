/**
 * `stracectl serve` as users run it (the built CLI: run `npx tsc -p tsconfig.build.json` first).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { StatsRecord } from '../../src/event.js';
import { runCli } from '../helpers.js';
import { eventsPath, expectedByCanonicalName, makeEvent, startServe, type ServeProcess } from './support.js';

const running: ServeProcess[] = [];
afterEach(() => {
  for (const serve of running.splice(0)) serve.kill();
});

async function serve(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const process = await startServe(args, env);
  running.push(process);
  return process;
}

/** Polls `check` until it returns a value (a condition with a deadline, not a timing assertion). */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('stracectl serve', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stracectl-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the piped events, keeps serving after stdin ends, exits 130 on SIGINT', async () => {
    const server = await serve();
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    createReadStream(eventsPath).pipe(server.child.stdin);
    await server.waitForStderr(/input ended after 1266 events; still serving/);
    const stats = (await (await fetch(`${server.url}api/stats`)).json()) as StatsRecord[];
    assert.equal(stats.reduce((sum, s) => sum + s.count, 0), expectedByCanonicalName().events);
    assert.deepEqual(await (await fetch(`${server.url}healthz`)).json(), { status: 'ok', input_ended: true, events: 1266 });
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(await (await fetch(`${server.url}assets/dashboard.js`)).text(), /api\/stream/);
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 130);
    assert.match(server.stderr(), /^stracectl serve: dashboard at http:\/\/127\.0\.0\.1:\d+\/\n/);
  });

  it('updates live while the input is still open, exits 143 on SIGTERM', async () => {
    const server = await serve();
    server.child.stdin.write(JSON.stringify(makeEvent({ name: 'openat', error: 'ENOENT', ret: '-1' })) + '\n');
    await until(async () => {
      const response = await fetch(`${server.url}api/syscall/openat`);
      return response.status === 200 ? true : undefined;
    }, 'the first event');
    server.child.stdin.write(JSON.stringify(makeEvent({ name: 'open', error: '', ret: '3' })) + '\n');
    const detail = await until(async () => {
      const body = (await (await fetch(`${server.url}api/syscall/openat`)).json()) as StatsRecord;
      return body.count === 2 ? body : undefined;
    }, 'the second event');
    assert.equal(detail.errors, 1);
    const health = (await (await fetch(`${server.url}healthz`)).json()) as { input_ended: boolean };
    assert.equal(health.input_ended, false);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 143);
  });

  it('takes the token from STRACECTL_TOKEN or --token and never prints it', async () => {
    const token = 'env-token-7b1e5c';
    for (const [args, env] of [[[], { STRACECTL_TOKEN: token }], [['--token', token], {}]] as Array<[string[], NodeJS.ProcessEnv]>) {
      const server = await serve(args, env);
      server.child.stdin.end();
      await server.waitForStderr(/input ended/);
      assert.equal((await fetch(`${server.url}api/stats`)).status, 401);
      assert.equal((await fetch(`${server.url}metrics`)).status, 401);
      assert.equal((await fetch(`${server.url}healthz`)).status, 401);
      assert.equal((await fetch(`${server.url}metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.match(server.stderr(), /token required/);
      server.child.kill('SIGTERM');
      await server.exited;
      assert.ok(!server.stderr().includes(token), 'the token is not on stderr');
    }
  });

  it('writes --report when the input ends and again on shutdown', async () => {
    const report = join(dir, 'serve-report.html');
    const server = await serve(['--report', report]);
    createReadStream(eventsPath).pipe(server.child.stdin);
    await server.waitForStderr(new RegExp(`wrote ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<html/i);
    assert.match(html, /rt_sigreturn/);
    rmSync(report);
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 130);
    assert.ok(existsSync(report), 'rewritten at shutdown');
  });

  it('traces a command itself with `serve -- CMD` and keeps serving after it exits', async () => {
    const server = await serve(['--backend', 'strace', '--', 'sh', '-c', 'cat /nonexistent/stracectl-serve-probe 2>/dev/null; exit 3']);
    await server.waitForStderr(/input ended after \d+ events \(command exited with 3\); still serving/);
    const openat = (await (await fetch(`${server.url}api/syscall/openat`)).json()) as StatsRecord & { recent_errors: Array<{ args: string }> };
    assert.ok((openat.error_breakdown.ENOENT ?? 0) >= 1);
    assert.ok(openat.recent_errors.some((event) => event.args.includes('/nonexistent/stracectl-serve-probe')));
    assert.equal(((await (await fetch(`${server.url}healthz`)).json()) as { input_ended: boolean }).input_ended, true);
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 130);
  });

  it('attaches with `serve -p PID` and detaches on SIGTERM, leaving the target running', async () => {
    const target = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const server = await serve(['--backend', 'strace', '-p', String(target.pid)]);
      await until(async () => (/TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${target.pid}/status`, 'utf8')) ? true : undefined), 'strace to attach');
      const health = (await (await fetch(`${server.url}healthz`)).json()) as { status: string; input_ended: boolean };
      assert.deepEqual([health.status, health.input_ended], ['ok', false]);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 143);
      assert.equal(target.exitCode, null, 'the target is still running');
      assert.match(readFileSync(`/proc/${target.pid}/status`, 'utf8'), /TracerPid:\s+0\n/);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('fails with exit 1 and a hint when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = runCli(['serve', '--port', String(port)]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`^stracectl serve: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use\\nhint: `));
      assert.equal(result.stdout, '');
    } finally {
      blocker.close();
    }
  });

  it('rejects usage errors with exit 2', () => {
    for (const args of [['serve', 'stray-file.ndjson'], ['serve', '--port', '70000'], ['serve', '--no-such-flag'], ['serve', '-p', '1', '--', 'ls'], ['serve', '-p', 'abc'], ['serve', '--follow']]) {
      const result = runCli(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /^stracectl serve: .*\nhint: /);
    }
  });

  it('fails early when --report cannot be written', () => {
    const result = runCli(['serve', '--port', '0', '--report', join(dir, 'missing-dir/r.html')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot write .*r\.html: no such directory/);
  });
});
