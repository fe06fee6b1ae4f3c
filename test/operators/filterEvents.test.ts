import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { from, lastValueFrom, toArray, take, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { filterEvents, type FilterEventsOptions } from '../../src/operators/filterEvents.js';
import { fixturesDir, readEvents, readJson } from '../helpers.js';

const events = readEvents(join(fixturesDir, 'ndjson/events.ndjson'));
const expected = readJson<{ total_errors: number }>(join(fixturesDir, 'ndjson/events.expected.json'));

// The seed's alias table, read independently of src/kb/aliases.ts.
const ALIASES: Record<string, string> = { newfstatat: 'fstat', stat: 'fstat', statx: 'fstat', clone3: 'clone', pipe2: 'pipe', exit: 'exit_group', dup2: 'dup', epoll_pwait: 'epoll_wait' };

const run = (options: FilterEventsOptions, input: TraceRecord[] = events) => lastValueFrom(from(input).pipe(filterEvents(options), toArray()));

describe('filterEvents', () => {
  it('--errors keeps exactly the failed calls (190 in the fixture)', async () => {
    const kept = await run({ errors: true });
    assert.equal(kept.length, expected.total_errors);
    assert.equal(kept.length, 190);
    assert.ok(kept.every((event) => (event as SyscallEvent).error !== ''));
  });

  it('--ok is the complement of --errors', async () => {
    const ok = await run({ ok: true });
    assert.equal(ok.length, events.length - 190);
  });

  it('--name matches aliases both ways', async () => {
    const byCanonical = await run({ names: ['fstat'] });
    const independent = events.filter((event) => (ALIASES[event.name] ?? event.name) === 'fstat');
    assert.equal(byCanonical.length, independent.length);
    assert.ok(independent.length > 0);
    const byAlias = await run({ names: ['stat'] });
    assert.equal(byAlias.length, independent.length);
  });

  it('combines conditions with AND, and --invert gives the complement', async () => {
    const options: FilterEventsOptions = { errors: true, names: ['newfstatat', 'openat'], errnos: ['enoent'], minLatencyNs: 10_000 };
    const kept = await run(options);
    const independent = events.filter(
      (event) => event.error === 'ENOENT' && ['fstat', 'openat'].includes(ALIASES[event.name] ?? event.name) && event.latency_ns >= 10_000,
    );
    assert.deepEqual(kept, independent);
    assert.ok(kept.length > 0);
    const inverted = await run({ ...options, invert: true });
    assert.equal(inverted.length + kept.length, events.length);
  });

  it('--category uses the event category or the KB category of its name', async () => {
    const net = await run({ categories: ['NET'] });
    const names = new Set(net.map((event) => (event as SyscallEvent).name));
    assert.ok(names.has('socketpair') === false, 'socketpair is not in the seed, so OTHER');
    for (const name of names) assert.ok(['socket', 'bind', 'listen', 'connect', 'accept4', 'recvfrom', 'sendto', 'setsockopt', 'getsockopt', 'getsockname', 'getpeername', 'epoll_wait', 'epoll_pwait', 'epoll_ctl', 'poll', 'ppoll', 'recvmsg', 'sendmsg'].includes(name), name);
  });

  it('--pid and --path (find -path style glob on quoted strings)', async () => {
    const pid = events[0]!.pid;
    assert.equal((await run({ pids: [pid] })).length, events.filter((event) => event.pid === pid).length);
    const etc = await run({ pathGlob: '/etc/*' });
    assert.ok(etc.length > 0);
    assert.ok(etc.every((event) => (event as SyscallEvent).args.includes('"/etc/')));
    const so = await run({ pathGlob: '*.so*' });
    assert.ok(so.some((event) => (event as SyscallEvent).args.includes('libc.so.6')));
  });

  it('passes meta records through whatever the conditions', async () => {
    const meta = { type: 'lost', count: 3, timestamp: '2026-11-27T00:00:00.000000Z' };
    assert.deepEqual(await run({ errors: true, invert: true, names: ['nothing'] }, [meta]), [meta]);
  });

  it('marble: empty input completes, errors propagate', () => {
    new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold<TraceRecord>('---|').pipe(filterEvents({ errors: true }))).toBe('---|');
      expectObservable(cold<TraceRecord>('-a-#', { a: events[0]! }).pipe(filterEvents({ ok: true }))).toBe('-a-#', { a: events[0]! });
    });
  });

  it('a synchronous firehose is cut by take', async () => {
    let produced = 0;
    const firehose = new Observable<TraceRecord>((subscriber) => {
      for (let i = 0; i < 1_000_000 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(events[i % events.length]!);
      }
      subscriber.complete();
    });
    assert.equal((await lastValueFrom(firehose.pipe(filterEvents({ ok: true }), take(2), toArray()))).length, 2);
    assert.ok(produced < 10);
  });
});
