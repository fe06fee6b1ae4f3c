import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { LiveHub, type StreamClient } from '../../src/server/hub.js';
import { TraceSession } from '../../src/session.js';
import { makeEvent } from './support.js';

class FakeClient implements StreamClient {
  messages: Array<Record<string, unknown>> = [];
  bufferedAmount = 0;
  closed: number | undefined;
  send(text: string): void {
    this.messages.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code?: number): void {
    this.closed = code;
  }
  ofType(type: string): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.type === type);
  }
}

const hubs: LiveHub[] = [];
function newHub(options: ConstructorParameters<typeof LiveHub>[1] = {}): LiveHub {
  const hub = new LiveHub(new TraceSession(), options);
  hubs.push(hub);
  return hub;
}
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.stop();
});

describe('LiveHub', () => {
  it('greets a client with thresholds, summary and stats', () => {
    const hub = newHub({ source: 'pid 42' });
    hub.ingest(makeEvent({ name: 'read' }));
    const client = new FakeClient();
    hub.attach(client);
    const [hello] = client.messages;
    assert.equal(hello?.type, 'hello');
    assert.deepEqual(hello?.thresholds, { red_error_pct: 50, yellow_avg_ns: 5_000_000 });
    assert.equal((hello?.summary as { source: string }).source, 'pid 42');
    assert.equal((hello?.stats as unknown[]).length, 1);
  });

  it('normalises events once and sends them in batches', () => {
    const hub = newHub();
    const client = new FakeClient();
    hub.attach(client);
    hub.ingest(makeEvent({ name: 'newfstatat', error: 'ENOENT', ret: '-1' }));
    hub.ingest(makeEvent({ name: 'read' }));
    hub.ingest({ type: 'signal', signal: 'SIGCHLD' });
    hub.flush();
    const batches = client.ofType('events');
    assert.equal(batches.length, 1);
    const events = batches[0]?.events as Array<Record<string, unknown>>;
    assert.deepEqual(events.map((e) => [e.name, e.raw_name, e.category]), [['fstat', 'newfstatat', 'FS'], ['read', undefined, 'I/O']]);
    assert.equal(hub.session.events, 2);
    assert.deepEqual(hub.stats().map((s) => s.name).sort(), ['fstat', 'read']);
    hub.flush(); // nothing pending: no empty message
    assert.equal(client.ofType('events').length, 1);
  });

  it('caps a batch and counts the rest as skipped; the stats still count everything', () => {
    const hub = newHub({ maxEventsPerFlush: 5 });
    const client = new FakeClient();
    hub.attach(client);
    for (let i = 0; i < 8; i++) hub.ingest(makeEvent());
    hub.flush();
    const [batch] = client.ofType('events');
    assert.equal((batch?.events as unknown[]).length, 5);
    assert.equal(batch?.skipped, 3);
    assert.equal(hub.stats()[0]?.count, 8);
  });

  it('skips event batches for a slow client and drops one that stopped reading', () => {
    const hub = newHub({ slowClientBytes: 1000, dropClientBytes: 5000 });
    const fast = new FakeClient();
    const slow = new FakeClient();
    hub.attach(fast);
    hub.attach(slow);
    slow.bufferedAmount = 2000;
    hub.ingest(makeEvent());
    hub.flush();
    hub.tick();
    assert.equal(fast.ofType('events').length, 1);
    assert.equal(slow.ofType('events').length, 0);
    assert.equal(slow.ofType('stats').length, 1, 'stats still go to a slow client');
    slow.bufferedAmount = 6000;
    hub.tick();
    assert.equal(slow.closed, 1008);
    assert.equal(hub.clientCount, 1);
  });

  it('detaching stops delivery and buffering', () => {
    const hub = newHub();
    const client = new FakeClient();
    const detach = hub.attach(client);
    detach();
    hub.ingest(makeEvent());
    hub.flush();
    hub.tick();
    assert.deepEqual(client.messages.map((m) => m.type), ['hello']);
  });

  it('announces the end of input once and keeps serving the final numbers', () => {
    const hub = newHub();
    const client = new FakeClient();
    hub.attach(client);
    hub.ingest(makeEvent());
    hub.end();
    hub.end();
    assert.equal(hub.session.ended, true);
    assert.deepEqual(client.messages.map((m) => m.type), ['hello', 'events', 'ended', 'stats']);
    assert.equal((client.ofType('ended')[0]?.summary as { input_ended: boolean }).input_ended, true);
    assert.equal(hub.summary().input_ended, true);
    assert.equal(hub.stats()[0]?.count, 1);
  });

  it('measures events/s between stats ticks with the injected clock', () => {
    let now = 10_000;
    const hub = newHub({ now: () => now });
    hub.start();
    for (let i = 0; i < 30; i++) hub.ingest(makeEvent());
    now += 2000;
    hub.tick();
    assert.equal(hub.summary().events_per_s, 15);
    assert.equal(hub.summary().elapsed_s, 2);
  });

  it('summarises totals, lost events and category shares', () => {
    const hub = newHub();
    hub.ingest(makeEvent({ name: 'read', pid: 1 }));
    hub.ingest(makeEvent({ name: 'read', pid: 2 }));
    hub.ingest(makeEvent({ name: 'connect', pid: 2, error: 'ECONNREFUSED', ret: '-1' }));
    hub.ingest(makeEvent({ name: 'brk', pid: 2 }));
    hub.ingest({ type: 'lost', count: 7, timestamp: '2026-11-27T20:00:00.000000Z' });
    const summary = hub.summary();
    assert.equal(summary.events, 4);
    assert.equal(summary.errors, 1);
    assert.equal(summary.lost, 7);
    assert.equal(summary.pids, 2);
    assert.equal(summary.syscalls, 3);
    assert.deepEqual(summary.categories, { 'I/O': 50, NET: 25, MEM: 25 });
  });

  it('reuses a stats snapshot for statsMaxAgeMs, then refreshes', () => {
    let now = 0;
    const hub = newHub({ statsMaxAgeMs: 100, now: () => now });
    hub.ingest(makeEvent());
    assert.equal(hub.stats()[0]?.count, 1);
    hub.ingest(makeEvent());
    now = 50;
    assert.equal(hub.stats()[0]?.count, 1, 'reused within 100 ms');
    now = 101;
    assert.equal(hub.stats()[0]?.count, 2);
    assert.equal(hub.statsJson(), JSON.stringify(hub.stats()));
  });

  it('is always fresh with statsMaxAgeMs 0 (the default)', () => {
    const hub = newHub({ now: () => 0 });
    hub.ingest(makeEvent());
    assert.equal(hub.stats()[0]?.count, 1);
    hub.ingest(makeEvent());
    assert.equal(hub.stats()[0]?.count, 2);
  });
});
