/**
 * A real Prometheus (Debian's /usr/bin/prometheus) scrapes `stracectl serve`'s
 * /metrics on loopback with the bearer token; PromQL over its HTTP API must
 * return the fixture's exact counts and a usable latency quantile.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatsRecord } from '../../src/event.js';
import { LATENCY_BUCKETS_S } from '../../src/server/metrics.js';
import { eventsPath, expectedByCanonicalName, startServe, type ServeProcess } from '../server/support.js';

const PROMETHEUS = '/usr/bin/prometheus';
const TOKEN = 'prom-scrape-token-51c0';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('Prometheus scrapes /metrics', () => {
  let dir: string;
  let serve: ServeProcess;
  let prometheus: ChildProcess;
  let promLog = '';
  let promUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stracectl-prom-'));
    serve = await startServe([], { STRACECTL_TOKEN: TOKEN });
    serve.child.stdin.end(readFileSync(eventsPath));
    await serve.waitForStderr(/input ended/);

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: stracectl',
      '    scrape_interval: 1s',
      '    authorization:',
      '      type: Bearer',
      `      credentials: ${TOKEN}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${serve.port}']`,
      '',
    ].join('\n'));
    prometheus = spawn(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    prometheus.stderr?.setEncoding('utf8').on('data', (chunk: string) => (promLog += chunk));
    await until(async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), `prometheus to be ready (log: ${promLog})`);
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    serve?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }

  async function scalar(promql: string): Promise<number | undefined> {
    const result = await query(promql);
    return result.length === 1 ? Number(result[0]?.value[1]) : undefined;
  }

  it('scrapes with the bearer token and gets the exact call count', async () => {
    const expected = expectedByCanonicalName();
    await until(async () => ((await scalar('up{job="stracectl"}')) === 1 ? true : undefined), 'a successful scrape');
    const total = await until(() => scalar('sum(stracectl_syscalls_total{job="stracectl"})'), 'the call count');
    assert.equal(total, expected.events);
    assert.equal(await scalar('sum(stracectl_syscall_errors_total)'), expected.errors);
    for (const name of ['write', 'fstat', 'openat', 'futex']) {
      assert.equal(await scalar(`stracectl_syscalls_total{syscall="${name}"}`), expected.byName.get(name)?.calls, name);
    }
    assert.equal(await scalar('stracectl_syscall_errors_total{syscall="fstat",errno="ENOENT"}'), expected.byName.get('fstat')?.error_breakdown.ENOENT);
    assert.equal(await scalar('stracectl_input_ended'), 1);
    const byCategory = await query('sum by (category) (stracectl_syscalls_total)');
    assert.ok(byCategory.some((row) => row.metric.category === 'I/O'));
  });

  it('supports histogram_quantile on the latency histogram', async () => {
    const stats = (await (await fetch(`${serve.url}api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as StatsRecord[];
    const write = stats.find((s) => s.name === 'write');
    assert.ok(write !== undefined);
    const p95 = await until(() => scalar('histogram_quantile(0.95, sum by (le) (stracectl_syscall_latency_seconds_bucket{syscall="write"}))'), 'the quantile');
    // Prometheus interpolates inside the bucket that holds the true p95.
    const trueP95 = write.p95_ns / 1e9;
    const upper = LATENCY_BUCKETS_S.find((bound) => bound >= trueP95) ?? Number.POSITIVE_INFINITY;
    const lower = [...LATENCY_BUCKETS_S].reverse().find((bound) => bound < trueP95) ?? 0;
    assert.ok(p95 >= lower && p95 <= upper, `p95 ${p95} outside the bucket (${lower}, ${upper}] of the exact ${trueP95}`);
    const count = await scalar('stracectl_syscall_latency_seconds_count{syscall="write"}');
    assert.equal(count, write.count);
    const sum = (await scalar('stracectl_syscall_latency_seconds_sum{syscall="write"}')) ?? NaN;
    assert.ok(Math.abs(sum - write.total_ns / 1e9) < 1e-9);
  });
});
