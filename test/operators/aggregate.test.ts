import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { from, lastValueFrom, toArray, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { StatsRecord, SyscallEvent, TraceRecord } from '../../src/event.js';
import { aggregate } from '../../src/operators/aggregate.js';
import { fixturesDir, readEvents, readJson } from '../helpers.js';

const events = readEvents(join(fixturesDir, 'ndjson/events.ndjson'));
const expected = readJson<{ syscalls: Record<string, { calls: number; errors: number; error_breakdown?: Record<string, number>; total_ns: number }> }>(
  join(fixturesDir, 'ndjson/events.expected.json'),
);

const final = async (input: TraceRecord[], options = {}) => (await lastValueFrom(from(input).pipe(aggregate(options), toArray()))).at(-1)!;

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('aggregate', () => {
  it('matches events.expected.json exactly per name (count, errors, breakdown, total_ns)', async () => {
    const records = await final(events);
    assert.deepEqual(new Set(records.map((record) => record.name)), new Set(Object.keys(expected.syscalls)));
    for (const record of records) {
      const truth = expected.syscalls[record.name]!;
      assert.equal(record.count, truth.calls, record.name);
      assert.equal(record.errors, truth.errors, record.name);
      assert.deepEqual(record.error_breakdown, truth.error_breakdown ?? {}, record.name);
      assert.equal(record.total_ns, truth.total_ns, record.name);
      assert.equal(record.error_pct, Math.round((truth.errors / truth.calls) * 10000) / 100);
    }
  });

  it('percentiles are within 1% of the exact nearest-rank value, min/max/avg exact', async () => {
    const records = await final(events);
    const byName = new Map<string, number[]>();
    for (const event of events) byName.set(event.name, [...(byName.get(event.name) ?? []), event.latency_ns]);
    for (const record of records) {
      const sorted = byName.get(record.name)!.sort((a, b) => a - b);
      for (const [p, field] of [[50, 'p50_ns'], [95, 'p95_ns'], [99, 'p99_ns']] as const) {
        const exact = nearestRank(sorted, p);
        assert.ok(Math.abs(record[field] - exact) <= exact * 0.01, `${record.name} p${p}: ${record[field]} vs ${exact}`);
      }
      assert.equal(record.min_ns, sorted[0]);
      assert.equal(record.max_ns, sorted.at(-1));
      assert.equal(record.avg_ns, Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length));
    }
  });

  it('percentiles stay within 1% over a wide random distribution', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const latencies = Array.from({ length: 50_000 }, () => Math.floor(Math.exp(random() * 22)));
    const input = latencies.map((latency_ns, i): SyscallEvent => ({ pid: 1, name: 'read', args: '', ret: '0', latency_ns, error: '', timestamp: `t${i}` }));
    const [record] = await final(input);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const [p, field] of [[50, 'p50_ns'], [95, 'p95_ns'], [99, 'p99_ns']] as const) {
      const exact = nearestRank(sorted, p);
      assert.ok(Math.abs(record![field] - exact) <= exact * 0.01, `p${p}: ${record![field]} vs ${exact}`);
    }
  });

  it('--by name,pid and --by errno group independently computed', async () => {
    const records = await final(events, { by: ['name', 'pid'] });
    const independent = new Map<string, number>();
    for (const event of events) independent.set(`${event.name}/${event.pid}`, (independent.get(`${event.name}/${event.pid}`) ?? 0) + 1);
    assert.equal(records.length, independent.size);
    for (const record of records) assert.equal(record.count, independent.get(`${record.name}/${record.pid}`));
    const byErrno = await final(events, { by: ['errno'] });
    const errnoCounts = new Map<string, number>();
    for (const event of events) errnoCounts.set(event.error, (errnoCounts.get(event.error) ?? 0) + 1);
    assert.deepEqual(new Map(byErrno.map((record: StatsRecord) => [record.errno!, record.count])), errnoCounts);
  });

  it('sorts by the requested key', async () => {
    const records = await final(events, { sort: 'total' });
    for (let i = 1; i < records.length; i++) assert.ok(records[i - 1]!.total_ns >= records[i]!.total_ns);
  });

  it('ignores meta records and emits one empty snapshot for empty input', async () => {
    assert.deepEqual(await final([{ type: 'lost', count: 1 }]), []);
    assert.deepEqual(await lastValueFrom(from([]).pipe(aggregate(), toArray())), [[]]);
  });

  it('marble: cumulative snapshots every interval, then a final one; errors propagate', () => {
    const [a, b] = events;
    new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ cold, expectObservable }) => {
      const counts = (snapshot: StatsRecord[]) => snapshot.reduce((sum, record) => sum + record.count, 0);
      const source = cold<TraceRecord>('a 15ms b 20ms |', { a: a!, b: b! });
      const result = new Observable<number>((subscriber) => source.pipe(aggregate({ intervalMs: 10 })).subscribe({ next: (s) => subscriber.next(counts(s)), complete: () => subscriber.complete() }));
      expectObservable(result).toBe('10ms x 9ms y 9ms z 6ms (w|)', { x: 1, y: 2, z: 2, w: 2 });
      expectObservable(cold<TraceRecord>('-#').pipe(aggregate())).toBe('-#');
    });
  });

  it('memory does not grow with events: one group per name', async () => {
    let count = 0;
    const many = new Observable<TraceRecord>((subscriber) => {
      for (let i = 0; i < 200_000; i++) subscriber.next({ ...events[i % events.length]!, latency_ns: i });
      count = 200_000;
      subscriber.complete();
    });
    const [snapshot] = await lastValueFrom(many.pipe(aggregate(), toArray()));
    assert.equal(count, 200_000);
    assert.equal(snapshot!.length, Object.keys(expected.syscalls).length);
  });
});
