/**
 * `stracectl otel` against a loopback OTLP/HTTP receiver: what arrives is
 * decoded (protobuf through the official generated code, and JSON) and the
 * metric names, attributes and values are checked against the fixture's
 * events; spans for failing and slow calls; --tee; flush on SIGINT; failures.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalName, categoryOf } from '../../src/kb/aliases.js';
import { binRun, fixturesDir, readEvents } from '../helpers.js';
import { parseHeaders } from '../../plugins/otel/src/commands/otel.js';
import { addNanos, hrTimeOf, signalUrl } from '../../plugins/otel/src/telemetry.js';
import { metricPoints, resourceAttributes, runCliAsync, spansOf, startOtlpReceiver, type MetricPoint, type Receiver } from './receivers.js';

const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
const eventsText = readFileSync(eventsPath, 'utf8');
const events = readEvents(eventsPath);
const SLOW_NS = 5_000_000;

/** What the metrics must say, computed from the events themselves. */
function expectations() {
  const calls = new Map<string, number>();
  const errors = new Map<string, number>();
  const totalNs = new Map<string, number>();
  let spans = 0;
  for (const event of events) {
    const name = canonicalName(event.name);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    totalNs.set(name, (totalNs.get(name) ?? 0) + event.latency_ns);
    if (event.error !== '') errors.set(`${name} ${event.error}`, (errors.get(`${name} ${event.error}`) ?? 0) + 1);
    if (event.error !== '' || event.latency_ns >= SLOW_NS) spans++;
  }
  return { calls, errors, totalNs, spans };
}

function lastMetrics(receiver: Receiver): MetricPoint[] {
  const metrics = receiver.requests.filter((request) => request.path === '/v1/metrics' && request.decoded !== undefined);
  assert.ok(metrics.length > 0, 'no metrics arrived');
  // Metrics are cumulative: the last export holds the totals.
  return metricPoints(metrics.at(-1)!.decoded);
}

function allSpans(receiver: Receiver) {
  return receiver.requests.filter((request) => request.path === '/v1/traces' && request.decoded !== undefined).flatMap((request) => spansOf(request.decoded));
}

describe('otel helpers', () => {
  it('appends the signal path to the endpoint, keeping a path prefix', () => {
    assert.equal(signalUrl('http://localhost:4318', 'metrics'), 'http://localhost:4318/v1/metrics');
    assert.equal(signalUrl('https://otel.example.com/prefix/', 'traces'), 'https://otel.example.com/prefix/v1/traces');
  });

  it('keeps the microseconds of a timestamp', () => {
    assert.deepEqual(hrTimeOf('2026-11-27T20:53:07.739371Z'), [1795812787, 739_371_000]);
    assert.deepEqual(hrTimeOf('2026-11-27T20:53:07Z'), [1795812787, 0]);
    assert.equal(hrTimeOf('20:53:07'), undefined);
    assert.deepEqual(addNanos([10, 999_999_000], 2_000), [11, 1_000]);
  });

  it('parses --headers without ever quoting a value', () => {
    assert.deepEqual(parseHeaders(['authorization=Bearer a=b', 'x-k= v ']), { authorization: 'Bearer a=b', 'x-k': 'v' });
    const problem = parseHeaders(['ok=1', 'authorization: Bearer s3cret']);
    assert.equal(typeof problem, 'string');
    assert.match(problem as string, /argument 2/);
    assert.ok(!(problem as string).includes('s3cret'));
  });
});

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  describe(`stracectl otel --protocol ${protocol}`, () => {
    let receiver: Receiver;
    let result: Awaited<ReturnType<typeof runCliAsync>>;
    const expected = expectations();

    before(async () => {
      receiver = await startOtlpReceiver();
      result = await runCliAsync(binRun, [
        'otel', '--endpoint', receiver.url, '--protocol', protocol, '--service-name', 'fleet-host-7',
        '--headers', 'x-api-key=t0psecret-key', '--slow', '5ms', eventsPath,
      ]);
    });
    after(() => receiver.close());

    it('exits 0, prints nothing on stdout, never prints a header value', () => {
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.ok(!result.stderr.includes('t0psecret-key'));
    });

    it('sends with the right content type, path and headers', () => {
      const type = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      for (const request of receiver.requests) {
        assert.ok(['/v1/metrics', '/v1/traces'].includes(request.path), request.path);
        assert.equal(request.contentType, type);
        assert.equal(request.headers['x-api-key'], 't0psecret-key');
      }
      const metrics = receiver.requests.find((request) => request.path === '/v1/metrics');
      assert.equal(resourceAttributes(metrics!.decoded)['service.name'], 'fleet-host-7');
    });

    it('counts calls per syscall with the syscall and category attributes', () => {
      const points = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.calls');
      assert.ok(points.every((point) => point.kind === 'sum' && point.monotonic === true && point.unit === '{call}'));
      const got = new Map(points.map((point) => [point.attributes.syscall as string, point]));
      assert.deepEqual(new Set(got.keys()), new Set(expected.calls.keys()));
      for (const [name, count] of expected.calls) {
        const point = got.get(name)!;
        assert.equal(point.value, count, name);
        assert.deepEqual(point.attributes, { syscall: name, category: categoryOf(name) });
      }
      assert.equal(points.reduce((sum, point) => sum + point.value!, 0), 1266);
    });

    it('counts errors per syscall and errno', () => {
      const points = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.errors');
      const got = new Map(points.map((point) => [`${point.attributes.syscall} ${point.attributes.errno}`, point.value]));
      assert.deepEqual(got, expected.errors);
      assert.equal([...got.values()].reduce((a, b) => a! + b!, 0), 190); // total_errors of events.expected.json
      for (const point of points) assert.equal(point.attributes.category, categoryOf(point.attributes.syscall as string));
    });

    it('records every latency in a histogram in seconds', () => {
      const points = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.duration');
      assert.equal(points.length, expected.calls.size);
      for (const point of points) {
        const name = point.attributes.syscall as string;
        assert.equal(point.kind, 'histogram');
        assert.equal(point.unit, 's');
        assert.equal(point.count, expected.calls.get(name), name);
        assert.ok(Math.abs(point.sum! - expected.totalNs.get(name)! / 1e9) < 1e-9, `${name}: sum ${point.sum}`);
        assert.equal(point.bucketCounts!.reduce((a, b) => a + b, 0), point.count);
        assert.ok(point.bounds!.includes(0.001));
      }
    });

    it('sends one span per failing or slow call, with the event fields as attributes', () => {
      const spans = allSpans(receiver);
      assert.equal(spans.length, expected.spans);
      const failing = events.find((event) => event.error === 'ENOENT')!;
      const span = spans.find((candidate) => candidate.attributes.timestamp === failing.timestamp && candidate.attributes.error === 'ENOENT')!;
      assert.ok(span, 'span of the first ENOENT call');
      const name = canonicalName(failing.name);
      assert.equal(span.name, name);
      assert.equal(span.status, 'ERROR');
      assert.equal(span.statusMessage, 'ENOENT');
      assert.deepEqual(span.attributes, {
        ...failing,
        name,
        ...(name !== failing.name ? { raw_name: failing.name } : {}),
        category: categoryOf(name),
        syscall: name,
        errno: 'ENOENT',
      });
      // The span sits where the call did: start = the event's timestamp (µs kept), length = latency.
      const startNs = BigInt(Date.parse(failing.timestamp)) * 1_000_000n + BigInt(Number(failing.timestamp.slice(23, 26)) * 1000);
      assert.equal(span.startNs, startNs);
      assert.equal(span.endNs - span.startNs, BigInt(failing.latency_ns));
      const slow = spans.filter((candidate) => candidate.status !== 'ERROR');
      assert.ok(slow.length > 0 && slow.every((candidate) => Number(candidate.attributes.latency_ns) >= SLOW_NS));
    });
  });
}

describe('stracectl otel --tee', () => {
  it('passes every record through unchanged (byte for byte) while exporting', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const extra =
        '{"type":"lost","count":3,"timestamp":"2026-11-27T20:53:09.000000Z"}\n' +
        '{ "pid": 7, "name": "openat",  "args": "AT_FDCWD, \\"/caf\\u00e9\\"", "ret": "-1", "latency_ns": 12, "error": "EACCES", "timestamp": "2026-11-27T20:53:09.000001Z", "comm": "x" }\n';
      const input = eventsText + extra;
      const result = await runCliAsync(binRun, ['otel', '--endpoint', receiver.url, '--tee'], { input });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, input);
      const calls = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.calls');
      assert.equal(calls.reduce((sum, point) => sum + point.value!, 0), 1267, 'meta records are not counted');
    } finally {
      await receiver.close();
    }
  });
});

describe('stracectl otel delivery', () => {
  it('exits 0 when the reader of --tee goes away, after exporting what it read', async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'stracectl-otel-'));
    try {
      const big = join(dir, 'big.ndjson');
      writeFileSync(big, eventsText.repeat(40)); // 50,640 events
      const child = spawn('bash', ['-c', `'${process.execPath}' '${binRun}' otel --tee --endpoint ${receiver.url} '${big}' | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      await new Promise((resolve) => child.on('close', resolve));
      assert.match(stdout, /status=0/);
      assert.equal(stderr, '');
      const calls = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.calls');
      const total = calls.reduce((sum, point) => sum + point.value!, 0);
      assert.ok(total >= 1 && total <= 50_640, `exported ${total}`);
    } finally {
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes what it read on SIGINT and exits 130', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const child = spawn(process.execPath, [binRun, 'otel', '--endpoint', receiver.url, '--tee', '--export-interval', '1h'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const lines = eventsText.split('\n').slice(0, 40);
      child.stdin.write(lines.join('\n') + '\n');
      // --tee shows when the 40 events were read; stdin stays open, so only the signal can end the run.
      while (stdout.split('\n').length <= 40) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGINT');
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      assert.equal(status, 130, stderr);
      const calls = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.calls');
      assert.equal(calls.reduce((sum, point) => sum + point.value!, 0), 40);
    } finally {
      await receiver.close();
    }
  });

  it('a second SIGINT while the final export hangs quits at once (130)', async () => {
    const receiver = await startOtlpReceiver(() => 0);
    try {
      const child = spawn(process.execPath, [binRun, 'otel', '--endpoint', receiver.url, '--tee', '--timeout', '10m'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.stdin.write(eventsText.split('\n').slice(0, 10).join('\n') + '\n');
      while (stdout.split('\n').length <= 10) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGINT');
      // The final flush is under way once the receiver holds a request it will never answer.
      while (receiver.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGINT');
      assert.equal(await closed, 130, stderr);
      assert.match(stderr, /stracectl otel: warning: SIGINT again: exiting without waiting for the sink to flush/);
    } finally {
      await receiver.close();
    }
  });

  it('rides out a 503 through the exporter\'s retry', async () => {
    const receiver = await startOtlpReceiver((path, index) => (path === '/v1/metrics' && index === 0 ? 503 : 200));
    try {
      const result = await runCliAsync(binRun, ['otel', '--endpoint', receiver.url], { input: eventsText });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(receiver.requests.filter((request) => request.path === '/v1/metrics')[0]!.decoded, undefined, 'first answer was 503');
      const calls = lastMetrics(receiver).filter((point) => point.metric === 'stracectl.syscall.calls');
      assert.equal(calls.reduce((sum, point) => sum + point.value!, 0), 1266);
    } finally {
      await receiver.close();
    }
  });

  it('exits 1 and says so when the collector cannot be reached, without leaking header values', async () => {
    const receiver = await startOtlpReceiver();
    const url = receiver.url;
    await receiver.close(); // nothing listens on that port any more
    const result = await runCliAsync(binRun, ['otel', '--endpoint', url, '--retries', '1', '--headers', 'authorization=Bearer sekr1t-t0ken'], { input: eventsText });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /stracectl otel: .*retry 1 of 1/);
    assert.match(result.stderr, /stracectl otel: error: could not flush and close: metrics not exported: .*ECONNREFUSED.*; \d+ spans not exported/);
    assert.ok(!result.stderr.includes('sekr1t-t0ken'));
    assert.equal(result.stdout, '');
  });

  it('rejects bad flags with exit 2 and a hint', async () => {
    for (const args of [['--endpoint', 'ftp://x'], ['--headers', 'authorization: Bearer abc'], ['--slow', 'fast'], ['--protocol', 'grpc']]) {
      const result = await runCliAsync(binRun, ['otel', ...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^stracectl otel: /);
      assert.match(result.stderr, /hint: /);
      assert.ok(!result.stderr.includes('Bearer abc'));
    }
  });
});
