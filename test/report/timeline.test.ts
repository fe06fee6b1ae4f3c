import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SyscallEvent } from '../../src/event.js';
import { CallTimeline, ReportSession } from '../../src/report/timeline.js';

describe('CallTimeline', () => {
  it('counts calls and errors per bucket, empty buckets included', () => {
    const timeline = new CallTimeline(10);
    timeline.add(1000.2, false);
    timeline.add(1000.9, true);
    timeline.add(1003.5, false);
    assert.equal(timeline.widthMs, 1);
    assert.deepEqual(timeline.buckets(), [
      { startMs: 1000, calls: 2, errors: 1 },
      { startMs: 1001, calls: 0, errors: 0 },
      { startMs: 1002, calls: 0, errors: 0 },
      { startMs: 1003, calls: 1, errors: 0 },
    ]);
  });

  it('doubles the bucket width when the trace outgrows its buckets, merging aligned pairs', () => {
    const timeline = new CallTimeline(4);
    for (let ms = 0; ms < 8; ms++) timeline.add(ms, ms % 2 === 0);
    assert.equal(timeline.widthMs, 2);
    assert.deepEqual(timeline.buckets(), [0, 2, 4, 6].map((startMs) => ({ startMs, calls: 2, errors: 1 })));
  });

  it('places events that arrive out of order (earlier than the first one)', () => {
    const timeline = new CallTimeline(4);
    timeline.add(10, false);
    timeline.add(8, true);
    assert.deepEqual(timeline.buckets(), [
      { startMs: 8, calls: 1, errors: 1 },
      { startMs: 9, calls: 0, errors: 0 },
      { startMs: 10, calls: 1, errors: 0 },
    ]);
  });

  it('counts unreadable timestamps apart', () => {
    const timeline = new CallTimeline();
    timeline.add(Number.NaN, false);
    assert.equal(timeline.untimed, 1);
    assert.deepEqual(timeline.buckets(), []);
  });

  it('for any timestamps: at most `capacity` buckets, every call in the bucket its time falls into', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        // ms since the epoch with microseconds, as parsed from event timestamps
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: -1e12, max: 4e12 }), fc.integer({ min: 0, max: 500 })), fc.integer({ min: 0, max: 999 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
        (capacity, calls) => {
          const timeline = new CallTimeline(capacity);
          for (const [ms, us, failed] of calls) timeline.add(ms + us / 1000, failed);
          const buckets = timeline.buckets();
          assert.ok(buckets.length <= capacity);
          const expected = new Map<number, { calls: number; errors: number }>();
          for (const [ms, us, failed] of calls) {
            const start = Math.floor((ms + us / 1000) / timeline.widthMs) * timeline.widthMs;
            const entry = expected.get(start) ?? { calls: 0, errors: 0 };
            entry.calls++;
            if (failed) entry.errors++;
            expected.set(start, entry);
          }
          for (const bucket of buckets) {
            const want = expected.get(bucket.startMs) ?? { calls: 0, errors: 0 };
            assert.deepEqual({ calls: bucket.calls, errors: bucket.errors }, want);
            expected.delete(bucket.startMs);
          }
          assert.equal(expected.size, 0, 'every call is in a bucket');
        },
      ),
    );
  });

  it('rejects a capacity below 2', () => {
    assert.throws(() => new CallTimeline(1), RangeError);
  });
});

describe('ReportSession', () => {
  const event = (over: Partial<SyscallEvent>): SyscallEvent => ({ pid: 7, name: 'write', args: '1, "hello\\n", 6', ret: '6', latency_ns: 1000, error: '', timestamp: '2026-11-27T20:00:00.000100Z', ...over });

  it('feeds the session, the timeline and the short-write counter; ignores meta records', () => {
    const session = new ReportSession();
    session.add(event({}));
    session.add(event({ ret: '3', timestamp: '2026-11-27T20:00:00.002000Z' }));
    session.add(event({ name: 'openat', args: '"/x"', ret: '-1', error: 'ENOENT', timestamp: '2026-11-27T20:00:00.003000Z' }));
    session.add({ type: 'lost', count: 5, timestamp: '2026-11-27T20:00:00.004000Z' });
    assert.equal(session.events, 3);
    assert.equal(session.lost, 5);
    assert.deepEqual([...session.shortWrites], [['write', 1]]);
    const buckets = session.timeline.buckets();
    assert.equal(buckets.reduce((sum, bucket) => sum + bucket.calls, 0), 3);
    assert.equal(buckets.reduce((sum, bucket) => sum + bucket.errors, 0), 1);
    assert.equal(session.timeline.maxMs - session.timeline.minMs, 3);
    assert.deepEqual(session.recentErrors('openat').map((e) => e.args), ['"/x"']);
  });

  it('keeps the last failing calls per canonical syscall, aliases resolved', () => {
    const session = new ReportSession({ errorSamples: 2 });
    for (let i = 0; i < 5; i++) session.add(event({ name: i % 2 === 0 ? 'newfstatat' : 'stat', args: `"/f${i}"`, ret: '-1', error: 'ENOENT' }));
    assert.deepEqual(session.recentErrors('newfstatat').map((e) => [e.name, e.args]), [['fstat', '"/f3"'], ['fstat', '"/f4"']]);
    assert.deepEqual(session.recentErrors('fstat'), session.detail('fstat')?.recent_errors);
  });
});
