/**
 * `stracectl slack` against a loopback webhook receiver: which messages
 * arrive for which rules, de-duplication and cooldown, retries on 500, no
 * retry on 404, --tee, --dry-run, and that the webhook URL never shows up
 * on stdout or stderr.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyscallEvent } from '../../src/event.js';
import { binRun } from '../helpers.js';
import { runCliAsync, startWebhookReceiver, type CliResult } from './receivers.js';

const BASE_MS = Date.parse('2026-11-27T20:00:00Z');

function ev(name: string, options: { error?: string; latencyNs?: number; atS?: number; args?: string } = {}): SyscallEvent {
  return {
    pid: 7,
    name,
    args: options.args ?? '3, "x", 1',
    ret: options.error ? '-1' : '1',
    latency_ns: options.latencyNs ?? 2000,
    error: options.error ?? '',
    timestamp: new Date(BASE_MS + (options.atS ?? 0) * 1000).toISOString().replace('Z', '000Z'),
  };
}

const ndjson = (events: SyscallEvent[]): string => events.map((event) => JSON.stringify(event) + '\n').join('');

function textsOf(requests: Array<{ json?: unknown }>): string[] {
  return requests.map((request) => (request.json as { text: string }).text);
}

/** The secret part of the URL must not appear anywhere we print. */
function assertNoUrl(result: CliResult, url: string, path: string): void {
  for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
    assert.ok(!text.includes(url), `${stream} shows the webhook URL`);
    assert.ok(!text.includes(path), `${stream} shows the webhook path`);
    assert.ok(!text.includes('s3cretW3bhookT0ken'), `${stream} shows the webhook token`);
  }
}

// A workload where each rule below holds, most of them many times over.
const workload = [
  ...Array.from({ length: 8 }, (_, i) => ev('openat', { error: i % 4 === 0 ? '' : 'EACCES', atS: i * 0.01, args: 'AT_FDCWD, "/etc/shadow", O_RDONLY' })),
  ...Array.from({ length: 6 }, (_, i) => ev('ioctl', { error: 'ENOTTY', atS: 0.1 + i * 0.01, args: '1, TCGETS, 0x7ffd3c' })),
  ...Array.from({ length: 20 }, (_, i) => ev('read', { atS: 0.2 + i * 0.01 })),
  ...Array.from({ length: 3 }, (_, i) => ev('connect', { latencyNs: 150_000_000, atS: 0.5 + i * 0.01 })),
];
const rules = ['--rule', 'openat:error_pct>=50', '--rule', 'errno==EACCES', '--rule', 'read:count>=10', '--rule', 'p99>=100ms', '--rule', 'ioctl:error_pct>=50'];

describe('stracectl slack', () => {
  it('sends one message per condition, naming the syscall, the values and the triage hint', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const result = await runCliAsync(binRun, ['slack', ...rules], { input: ndjson(workload), env: { SLACK_WEBHOOK_URL: receiver.url } });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '');
      assertNoUrl(result, receiver.url, receiver.path);
      const texts = textsOf(receiver.requests);
      const headlines = texts.map((text) => text.split('\n')[0]!.replace(/ on \S+$/, ''));
      assert.deepEqual(headlines.sort(), [
        ':rotating_light: *connect*: p99 150ms &gt;= 100ms in the last 10s (rule p99&gt;=100ms)',
        ':rotating_light: *ioctl*: error_pct 100% &gt;= 50% in the last 10s (rule ioctl:error_pct&gt;=50)',
        ':rotating_light: *openat*: 1 call failed with EACCES in the last 10s (rule errno==EACCES)',
        ':rotating_light: *openat*: error_pct 50% &gt;= 50% in the last 10s (rule openat:error_pct&gt;=50)',
        ':rotating_light: *read*: count 10 &gt;= 10 in the last 10s (rule read:count&gt;=10)',
      ]);
      const ioctl = texts.find((text) => text.includes('*ioctl*'))!;
      assert.match(ioctl, /\n1 of 1 call failed \(ENOTTY 1\); avg 2\.00µs, p99 2\.00µs, max 2\.00µs\n/);
      assert.match(ioctl, /\n> hint: .*non-terminal fd for terminal settings/); // a Slack blockquote
      for (const request of receiver.requests) assert.equal(request.path, receiver.path);
      assert.match(result.stderr, /stracectl slack: 5 alerts sent/);
    } finally {
      await receiver.close();
    }
  });

  it('stays silent for a condition until the cooldown ends, then alerts again', async () => {
    const receiver = await startWebhookReceiver();
    try {
      // The condition holds at 0 s, 2 min, 5 min 30 s and 6 min (event time).
      const events = [0, 120, 330, 360].flatMap((atS) => [ev('connect', { error: 'ECONNREFUSED', atS }), ev('connect', { error: 'ECONNREFUSED', atS: atS + 1 })]);
      const result = await runCliAsync(binRun, ['slack', '--rule', 'connect:errors>=2', '--cooldown', '5m', '--webhook', receiver.url], { input: ndjson(events) });
      assert.equal(result.status, 0, result.stderr);
      assertNoUrl(result, receiver.url, receiver.path);
      const texts = textsOf(receiver.requests);
      assert.equal(texts.length, 2, texts.join('\n---\n'));
      assert.ok(texts.every((text) => text.includes('*connect*: errors 2 &gt;= 2')));
    } finally {
      await receiver.close();
    }
  });

  it('retries a 500 with backoff and delivers each message once', async () => {
    const receiver = await startWebhookReceiver((index) => (index < 2 ? { status: 500 } : { status: 200 }));
    try {
      const result = await runCliAsync(binRun, ['slack', '--rule', 'errno==EACCES', '--rule', 'read:count>=10', '--webhook', receiver.url], { input: ndjson(workload) });
      assert.equal(result.status, 0, result.stderr);
      assertNoUrl(result, receiver.url, receiver.path);
      assert.equal(receiver.requests.length, 4, 'two failed attempts, then the two messages');
      const texts = textsOf(receiver.requests);
      assert.equal(texts[0], texts[1]);
      assert.equal(texts[1], texts[2]);
      assert.notEqual(texts[2], texts[3]);
      assert.match(result.stderr, /stracectl slack: warning: delivery failed \(Slack answered HTTP 500 \(server_error\)\); retry 1 of 3 in 250 ms/);
      assert.match(result.stderr, /retry 2 of 3 in 500 ms/);
    } finally {
      await receiver.close();
    }
  });

  it('reports a failure after the retries (exit 1) without printing the URL', async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 503, body: 'maintenance' }));
    try {
      const result = await runCliAsync(binRun, ['slack', '--rule', 'errno==EACCES', '--retries', '2'], { input: ndjson(workload), env: { SLACK_WEBHOOK_URL: receiver.url } });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(receiver.requests.length, 3);
      assert.match(result.stderr, /stracectl slack: error: could not deliver a batch of 1 item: Slack answered HTTP 503 \(maintenance\)/);
      assert.match(result.stderr, /1 item was not delivered/);
      assertNoUrl(result, receiver.url, receiver.path);
    } finally {
      await receiver.close();
    }
  });

  it('does not retry a 404 (a revoked webhook) and does not echo a URL the receiver sends back', async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 404, body: 'no_service' }));
    try {
      const result = await runCliAsync(binRun, ['slack', '--rule', 'errno==EACCES', '--webhook', receiver.url], { input: ndjson(workload) });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(receiver.requests.length, 1);
      assert.match(result.stderr, /Slack answered HTTP 404 \(no_service\)/);
      assertNoUrl(result, receiver.url, receiver.path);
    } finally {
      await receiver.close();
    }
    const echo = await startWebhookReceiver(() => ({ status: 500, body: 'bad' }));
    try {
      await echo.close(); // connection refused: the error text must not carry the path either
      const result = await runCliAsync(binRun, ['slack', '--rule', 'errno==EACCES', '--retries', '0', '--webhook', echo.url], { input: ndjson(workload) });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /request to Slack failed \(ECONNREFUSED\)/);
      assertNoUrl(result, echo.url, echo.path);
    } finally {
      await echo.close().catch(() => undefined);
    }
  });

  it('--tee passes every record through unchanged', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const input = ndjson(workload) + '{"type":"exit","pid":7,"status":0}\n' + '{"pid":7,  "name":"read","args":"","ret":"0","latency_ns":1,"error":"","timestamp":"2026-11-27T20:00:01.000000Z","tags":["a"]}\n';
      const result = await runCliAsync(binRun, ['slack', '--rule', 'errno==EACCES', '--tee', '--webhook', receiver.url], { input });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, input);
      assert.equal(receiver.requests.length, 1);
    } finally {
      await receiver.close();
    }
  });

  it('--dry-run prints the messages on stderr and sends nothing', async () => {
    const result = await runCliAsync(binRun, ['slack', ...rules, '--dry-run'], { input: ndjson(workload), env: { SLACK_WEBHOOK_URL: '' } });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.match(/\[dry-run\] would send:/g)?.length, 5);
    assert.match(result.stderr, /\nconnect: p99 150ms >= 100ms in the last 10s \(rule p99>=100ms\)/);
    assert.match(result.stderr, /5 alerts would have been sent/);
  });

  it('usage errors exit 2 with a hint, and never echo the webhook', async () => {
    const secret = 'http://hooks.example.com/services/T1/B2/verysecretvalue';
    const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv; message: RegExp }> = [
      { args: ['--rule', 'errno==EACCES'], env: { SLACK_WEBHOOK_URL: '' }, message: /no webhook: give --webhook or set SLACK_WEBHOOK_URL/ },
      { args: ['--rule', 'p99>=soon', '--dry-run'], message: /--rule: invalid rule "p99>=soon"/ },
      { args: ['--dry-run'], message: /give at least one --rule/ },
      { args: ['--rule', 'count>=1', '--webhook', secret], message: /the webhook must be an https:\/\/ URL/ },
      { args: ['--rule', 'count>=1', '--webhook', 'not a url verysecretvalue'], message: /the webhook is not a valid URL/ },
      { args: ['--rule', 'count>=1', '--window', '10', '--dry-run'], message: /--window: invalid duration/ },
      { args: ['--rule', 'count>=1', `--webhok=${secret}`], message: /Nonexistent flag: --webhok=\[redacted URL\]/ },
    ];
    for (const { args, env, message } of cases) {
      const result = await runCliAsync(binRun, ['slack', ...args], { env });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^stracectl slack: /);
      assert.match(result.stderr, /\nhint: /);
      assert.ok(!result.stderr.includes('verysecretvalue'), result.stderr);
    }
  });
});
