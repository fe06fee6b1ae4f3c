/**
 * parseStrace as an RxJS operator: happy path, empty input, errors, early
 * unsubscribe, a synchronous firehose cut by take, --strict via a throwing
 * onInvalidLine, independent state per subscription.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, Subject, from, lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { parseStrace } from '../../src/operators/parseStrace.js';

const BRK = '24951 20:53:07.739805 brk(NULL)         = 0x56302b793000 <0.000039>';
const READ_START = '24951 20:53:07.846432 read(3,  <unfinished ...>';
const READ_END = '24951 20:53:07.906339 <... read resumed>0x56302b93b5a0, 4096) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.059785>';
const brkEvent: SyscallEvent = { pid: 24951, name: 'brk', args: 'NULL', ret: '0x56302b793000', latency_ns: 39_000, error: '', timestamp: '2026-11-27T20:53:07.739805Z' };
const readEvent: SyscallEvent = {
  pid: 24951,
  name: 'read',
  args: '3, 0x56302b93b5a0, 4096',
  ret: '?',
  latency_ns: 59_785_000,
  error: 'ERESTARTSYS',
  timestamp: '2026-11-27T20:53:07.846432Z',
};

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('parseStrace()', () => {
  it('marble: one event per completed call; a pair is emitted when it completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const lines = cold('a-b-c-d|', { a: BRK, b: READ_START, c: '', d: READ_END });
      expectObservable(lines.pipe(parseStrace({ date: '2026-11-27' }))).toBe('a-----b|', { a: brkEvent, b: readEvent });
    });
  });

  it('marble: empty input completes with nothing; an unfinished call is flushed at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<string>('|').pipe(parseStrace())).toBe('|');
      expectObservable(cold('-a-|', { a: READ_START }).pipe(parseStrace({ date: '2026-11-27' }))).toBe('---(a|)', {
        a: { pid: 24951, name: 'read', args: '3, ', ret: '?', latency_ns: 0, error: '', timestamp: '2026-11-27T20:53:07.846432Z', unfinished: true },
      });
    });
  });

  it('marble: a source error is passed on (calls still open are not emitted)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-#', { a: BRK, b: READ_START }).pipe(parseStrace({ date: '2026-11-27' }))).toBe('a---#', { a: brkEvent });
    });
  });

  it('an onInvalidLine that throws errors the stream (how --strict stops at the first bad line)', async () => {
    const seen: TraceRecord[] = [];
    const failure = new Error('stdin:2: not a strace line');
    await assert.rejects(
      lastValueFrom(
        from([BRK, 'garbage', BRK]).pipe(
          parseStrace({
            date: '2026-11-27',
            onInvalidLine: () => {
              throw failure;
            },
          }),
          toArray(),
        ),
      ),
      (error) => error === failure,
    );
    from([BRK, 'garbage', BRK])
      .pipe(parseStrace({ onInvalidLine: () => undefined }))
      .subscribe((r) => seen.push(r));
    assert.equal(seen.length, 2, 'without throwing, the bad line is only skipped');
  });

  it('invalid options error the stream on subscribe', async () => {
    await assert.rejects(lastValueFrom(from([BRK]).pipe(parseStrace({ date: '27/11/2026' }))), RangeError);
    await assert.rejects(lastValueFrom(from([BRK]).pipe(parseStrace({ start: 'noon' }))), RangeError);
  });

  it('a synchronous firehose is cut by take(n), and the source stops', () => {
    let produced = 0;
    const firehose = new Observable<string>((subscriber) => {
      for (let i = 0; i < 1_000_000 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(BRK);
      }
      subscriber.complete();
    });
    const out: TraceRecord[] = [];
    firehose.pipe(parseStrace({ date: '2026-11-27' }), take(3)).subscribe((r) => out.push(r));
    assert.equal(out.length, 3);
    assert.ok(produced <= 4, `the source kept going: ${produced}`);
  });

  it('early unsubscribe stops parsing: nothing is emitted afterwards', () => {
    const lines = new Subject<string>();
    const out: TraceRecord[] = [];
    const subscription = lines.pipe(parseStrace({ date: '2026-11-27' })).subscribe((r) => out.push(r));
    lines.next(BRK);
    lines.next(READ_START);
    subscription.unsubscribe();
    lines.next(READ_END);
    lines.complete();
    assert.deepEqual(out, [brkEvent]);
    assert.equal(lines.observed, false);
  });

  it('each subscription parses on its own (pairs and -r sums do not leak between runs)', async () => {
    const source = from(['     0.000010 brk(NULL) = 0x1', '     0.000010 brk(NULL) = 0x2']);
    const parsed = source.pipe(parseStrace({ start: '2026-11-27T00:00:00Z', pid: 5 }));
    const first = await lastValueFrom(parsed.pipe(toArray()));
    const second = await lastValueFrom(parsed.pipe(toArray()));
    assert.deepEqual(first, second);
    assert.deepEqual(
      first.map((e) => e.timestamp),
      ['2026-11-27T00:00:00.000010Z', '2026-11-27T00:00:00.000020Z'],
    );
  });

  it('emitMeta adds signal and exit records; they carry a type', async () => {
    const out = await lastValueFrom(
      from(['24951 20:53:07.906402 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---', '24951 20:53:07.962093 +++ exited with 0 +++']).pipe(
        parseStrace({ date: '2026-11-27', emitMeta: true }),
        toArray(),
      ),
    );
    assert.deepEqual(
      out.map((r) => r.type),
      ['signal', 'exit'],
    );
  });
});
