import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { StatsRecord, SyscallEvent } from '../../src/event.js';
import { canonicalName } from '../../src/kb/aliases.js';
import { buildServer, type StracectlServer } from '../../src/server/app.js';
import { SESSION_COOKIE } from '../../src/server/auth.js';
import { expectedByCanonicalName, fixtureEvents, makeEvent } from './support.js';
import { parseExposition, sampleValue } from './promtext.js';

const STATS_FIELDS = ['name', 'category', 'count', 'errors', 'error_pct', 'total_ns', 'avg_ns', 'min_ns', 'max_ns', 'p50_ns', 'p95_ns', 'p99_ns', 'error_breakdown'];
const TOKEN = 'tok_9f2c41d7e0b3';
const ALL_ROUTES = ['/api/stats', '/api/syscall/read', '/api/log', '/api/stream', '/metrics', '/healthz', '/', '/syscall/read', '/assets/dashboard.js', '/assets/dashboard.css', '/nope'];

async function fed(options: Parameters<typeof buildServer>[0] = {}): Promise<StracectlServer> {
  const server = await buildServer(options);
  for (const event of fixtureEvents()) server.hub.ingest(event);
  return server;
}

describe('serve API (inject)', () => {
  let server: StracectlServer;
  before(async () => {
    server = await fed();
  });
  after(() => server.app.close());

  it('GET /api/stats: every syscall with the fixture counts, sorted by count', async () => {
    const response = await server.app.inject('/api/stats');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const stats = response.json<StatsRecord[]>();
    const expected = expectedByCanonicalName();
    assert.deepEqual(stats.map((s) => s.name).sort(), [...expected.byName.keys()].sort());
    for (const record of stats) {
      assert.deepEqual(Object.keys(record), STATS_FIELDS);
      const want = expected.byName.get(record.name);
      assert.equal(record.count, want?.calls, record.name);
      assert.equal(record.errors, want?.errors, record.name);
      assert.equal(record.total_ns, want?.total_ns, record.name);
      assert.deepEqual(record.error_breakdown, want?.error_breakdown, record.name);
    }
    for (let i = 1; i < stats.length; i++) assert.ok((stats[i - 1] as StatsRecord).count >= (stats[i] as StatsRecord).count);
    assert.equal(stats.reduce((sum, s) => sum + s.count, 0), expected.events);
  });

  it('GET /api/syscall/:name: the record, error breakdown, recent errors, KB entry and triage', async () => {
    const response = await server.app.inject('/api/syscall/rt_sigreturn');
    assert.equal(response.statusCode, 200);
    const body = response.json<StatsRecord & { recent_errors: SyscallEvent[]; kb: { known: boolean; name: string }; hints: Array<{ id: string }>; severity: string | null }>();
    const want = expectedByCanonicalName().byName.get('rt_sigreturn');
    assert.equal(body.count, want?.calls);
    assert.deepEqual(body.error_breakdown, want?.error_breakdown);
    assert.equal(body.recent_errors.length, want?.errors);
    assert.ok(body.recent_errors.every((event) => event.name === 'rt_sigreturn' && event.error !== ''));
    assert.equal(body.kb.name, 'rt_sigreturn');
    assert.equal(body.kb.known, false, 'not in the KB: the generic entry');

    const openat = (await server.app.inject('/api/syscall/openat')).json<{ kb: { known: boolean; signature: string; errors: unknown[] }; hints: Array<{ id: string }>; severity: string | null; error_pct: number; recent_errors: SyscallEvent[] }>();
    assert.equal(openat.kb.known, true);
    assert.match(openat.kb.signature, /openat/);
    assert.ok(openat.kb.errors.length > 0);
    assert.ok(openat.recent_errors.length > 0 && openat.recent_errors.length <= 20);
    assert.equal(openat.severity, openat.error_pct >= 50 ? 'red' : null);
    assert.ok(openat.hints.some((hint) => hint.id === 'enoent-probing'));
  });

  it('resolves aliases to the canonical record', async () => {
    const fstat = (await server.app.inject('/api/syscall/fstat')).json<StatsRecord>();
    assert.ok(fstat.count > 0);
    for (const alias of ['newfstatat', 'stat', 'statx', 'FSTAT']) {
      const response = await server.app.inject(`/api/syscall/${alias}`);
      assert.equal(response.statusCode, 200, alias);
      assert.equal(response.json<StatsRecord>().name, 'fstat');
      assert.equal(response.json<StatsRecord>().count, fstat.count);
    }
    const clone = (await server.app.inject('/api/syscall/clone3')).json<StatsRecord>();
    assert.equal(clone.name, 'clone');
  });

  it('answers 404 JSON for names never seen and for unknown routes', async () => {
    for (const url of ['/api/syscall/listen', '/api/syscall/frobnicate', `/api/syscall/${encodeURIComponent('<script>x</script>')}`]) {
      const response = await server.app.inject(url);
      assert.equal(response.statusCode, 404, url);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.equal(response.json<{ error: string }>().error, 'not_found');
    }
    const route = await server.app.inject('/api/nothing');
    assert.equal(route.statusCode, 404);
    assert.equal(route.json<{ error: string }>().error, 'not_found');
  });

  it('GET /api/log: the last 500 events, oldest first, normalised', async () => {
    const response = await server.app.inject('/api/log');
    const log = response.json<SyscallEvent[]>();
    const events = fixtureEvents();
    assert.equal(log.length, 500);
    const tail = events.slice(-500);
    assert.deepEqual(log.map((e) => [e.timestamp, e.pid, e.name, e.args]), tail.map((e) => [e.timestamp, e.pid, canonicalName(e.name), e.args]));
    assert.ok(log.every((event, i) => event.raw_name === (canonicalName(tail[i]?.name ?? '') === tail[i]?.name ? undefined : tail[i]?.name)));
  });

  it('GET /metrics: Prometheus text with the same counts', async () => {
    const response = await server.app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(response.body);
    const expected = expectedByCanonicalName();
    const calls = samples.filter((s) => s.name === 'stracectl_syscalls_total');
    assert.equal(calls.reduce((sum, s) => sum + s.value, 0), expected.events);
    assert.equal(samples.filter((s) => s.name === 'stracectl_syscall_errors_total').reduce((sum, s) => sum + s.value, 0), expected.errors);
    for (const [name, want] of expected.byName) {
      assert.equal(sampleValue(samples, 'stracectl_syscalls_total', { syscall: name }), want.calls, name);
      assert.equal(sampleValue(samples, 'stracectl_syscall_latency_seconds_count', { syscall: name }), want.calls, name);
      for (const [errno, n] of Object.entries(want.error_breakdown)) {
        assert.equal(sampleValue(samples, 'stracectl_syscall_errors_total', { syscall: name, errno }), n, `${name} ${errno}`);
      }
    }
  });

  it('GET /healthz', async () => {
    const response = await server.app.inject('/healthz');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', input_ended: false, events: 1266 });
  });

  it('serves the dashboard pages and assets with a strict CSP and no external reference', async () => {
    for (const url of ['/', '/syscall/openat', `/syscall/${encodeURIComponent('"><img src=x onerror=alert(1)>')}`]) {
      const response = await server.app.inject(url);
      assert.equal(response.statusCode, 200, url);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      const csp = String(response.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(response.body, /https?:\/\//, 'no absolute URL in the page');
      assert.doesNotMatch(response.body, /onerror|<img/, 'the path is never echoed into the page');
    }
    const script = await server.app.inject('/assets/dashboard.js');
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(script.body, /\/api\/stream/);
    assert.doesNotMatch(script.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    assert.doesNotMatch(script.body, /https?:\/\/|sourceMappingURL/);
    const css = await server.app.inject('/assets/dashboard.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.doesNotMatch(css.body, /url\(|@import|https?:/);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
  });

  it('refuses a non-loopback Host header on a loopback bind (DNS rebinding)', async () => {
    const response = await server.app.inject({ url: '/api/stats', headers: { host: 'attacker.example:8080' } });
    assert.equal(response.statusCode, 403);
    const ok = await server.app.inject({ url: '/api/stats', headers: { host: '127.0.0.1:8080' } });
    assert.equal(ok.statusCode, 200);
  });
});

describe('serve on a non-loopback bind', () => {
  it('does not check the Host header there', async () => {
    const { app } = await buildServer({ host: '0.0.0.0' });
    try {
      const response = await app.inject({ url: '/healthz', headers: { host: 'tracebox.internal:8080' } });
      assert.equal(response.statusCode, 200);
    } finally {
      await app.close();
    }
  });
});

describe('serve token auth (inject)', () => {
  let server: StracectlServer;
  before(async () => {
    server = await fed({ token: TOKEN });
  });
  after(() => server.app.close());

  it('requires the token on every route, including /metrics, /healthz, assets and the WebSocket', async () => {
    for (const url of ALL_ROUTES) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { cookie: `${SESSION_COOKIE}=${TOKEN}` }]) {
        const response = await server.app.inject({ url, headers });
        assert.equal(response.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
        assert.equal(response.headers['www-authenticate'], 'Bearer realm="stracectl"');
        assert.ok(!response.body.includes(TOKEN), 'the token is never echoed');
      }
    }
  });

  it('accepts the bearer token', async () => {
    for (const url of ALL_ROUTES.filter((u) => u !== '/api/stream')) {
      const response = await server.app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(response.statusCode, url === '/nope' ? 404 : 200, url);
    }
  });

  it('signs a browser in from ?token= on a page, with a cookie that is not the token', async () => {
    const login = await server.app.inject('/syscall/read?token=' + TOKEN + '&x=1');
    assert.equal(login.statusCode, 303);
    assert.equal(login.headers.location, '/syscall/read?x=1');
    const cookie = String(login.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[\\w-]+; HttpOnly; SameSite=Strict; Path=/$`));
    assert.ok(!cookie.includes(TOKEN));
    const session = cookie.split(';')[0] as string;
    for (const url of ['/', '/api/stats', '/metrics', '/assets/dashboard.js']) {
      const response = await server.app.inject({ url, headers: { cookie: session } });
      assert.equal(response.statusCode, 200, url);
    }
  });

  it('does not take ?token= on API routes, nor a wrong one on pages', async () => {
    assert.equal((await server.app.inject(`/api/stats?token=${TOKEN}`)).statusCode, 401);
    assert.equal((await server.app.inject(`/metrics?token=${TOKEN}`)).statusCode, 401);
    const wrong = await server.app.inject('/?token=nope');
    assert.equal(wrong.statusCode, 401);
    assert.match(String(wrong.headers['content-type']), /^text\/html/);
    assert.equal(wrong.headers['set-cookie'], undefined);
  });

  it('redirects only to a local path', async () => {
    const response = await server.app.inject(`//evil.example/?token=${TOKEN}`);
    if (response.statusCode === 303) assert.match(String(response.headers.location), /^\/(?!\/)/);
    else assert.equal(response.headers.location, undefined);
  });
});

describe('serve over real HTTP and WebSocket', () => {
  let server: StracectlServer;
  let base: string;
  let wsBase: string;
  const sockets: WebSocket[] = [];
  before(async () => {
    server = await buildServer({ token: TOKEN, host: '127.0.0.1' });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    wsBase = `ws://127.0.0.1:${port}`;
  });
  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server.app.close();
  });

  /** Opens a WebSocket and collects its messages; resolves once open (or with the refusal status). */
  function open(headers: Record<string, string>): Promise<{ socket: WebSocket; status?: number; next: (type: string) => Promise<Record<string, unknown>> }> {
    const socket = new WebSocket(`${wsBase}/api/stream`, { headers });
    sockets.push(socket);
    const inbox: Array<Record<string, unknown>> = [];
    const waiting: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      const waiter = waiting.find((w) => w.type === message.type);
      if (waiter !== undefined) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(message);
      } else inbox.push(message);
    });
    const next = (type: string): Promise<Record<string, unknown>> => {
      const index = inbox.findIndex((m) => m.type === type);
      if (index !== -1) return Promise.resolve(inbox.splice(index, 1)[0] as Record<string, unknown>);
      return new Promise((resolve) => waiting.push({ type, resolve }));
    };
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve({ socket, next }));
      socket.once('unexpected-response', (_request, response) => resolve({ socket, status: response.statusCode, next }));
      socket.once('error', (error) => reject(error));
    });
  }

  it('refuses a WebSocket without the token, with a wrong one, or from another origin', async () => {
    assert.equal((await open({})).status, 401);
    assert.equal((await open({ authorization: 'Bearer nope' })).status, 401);
    assert.equal((await open({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).status, 403);
  });

  it('streams live events and periodic stats to an authorised client', async () => {
    const { socket, status, next } = await open({ authorization: `Bearer ${TOKEN}`, origin: base });
    assert.equal(status, undefined);
    const hello = await next('hello');
    assert.deepEqual(hello.stats, []);
    server.hub.ingest(makeEvent({ name: 'newfstatat', args: 'AT_FDCWD, "<script>alert(1)</script>"', error: 'ENOENT', ret: '-1' }));
    server.hub.ingest(makeEvent({ name: 'connect', error: 'ECONNREFUSED', ret: '-1' }));
    const batch = await next('events');
    const events = batch.events as SyscallEvent[];
    assert.deepEqual(events.map((e) => e.name), ['fstat', 'connect']);
    assert.equal(events[0]?.args, 'AT_FDCWD, "<script>alert(1)</script>"', 'data travels as JSON, unchanged');
    server.hub.tick();
    const stats = await next('stats');
    assert.deepEqual((stats.stats as StatsRecord[]).map((s) => s.name).sort(), ['connect', 'fstat']);
    assert.equal((stats.summary as { events: number }).events, 2);
    server.hub.end();
    const ended = await next('ended');
    assert.equal((ended.summary as { input_ended: boolean }).input_ended, true);
    socket.close();
  });

  it('accepts the dashboard session cookie on the WebSocket, and keeps serving after the input ended', async () => {
    const login = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { status, next } = await open({ cookie });
    assert.equal(status, undefined);
    const hello = await next('hello');
    assert.equal((hello.summary as { input_ended: boolean }).input_ended, true);
    const stats = await fetch(`${base}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(stats.status, 200);
    assert.equal(((await stats.json()) as StatsRecord[]).length, 2);
  });

  it('closes WebSocket clients when the server shuts down', async () => {
    const { socket, next } = await open({ authorization: `Bearer ${TOKEN}` });
    await next('hello');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const other = await buildServer({});
    await other.app.close(); // an idle server closes cleanly too
    await server.app.close();
    const code = await closed;
    assert.equal(code, 1001);
  });
});
