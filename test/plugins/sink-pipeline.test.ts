/**
 * The sink engine without a CLI: batching by size and by time, --tee,
 * retries, failure reporting, close() once after the last write, input
 * errors, transforms that emit at the end.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Observable, Subject, concat, from, throwError } from 'rxjs';
import { StracectlError } from '../../src/errors.js';
import { sourceText, type SyscallEvent, type TraceRecord } from '../../src/event.js';
import { createLogger } from '../../src/plugins/logger.js';
import { SinkError } from '../../src/plugins/retry.js';
import { runSinkPipeline, type SinkPipelineOptions } from '../../src/plugins/sink-pipeline.js';

function event(i: number, error = ''): SyscallEvent {
  return { pid: 1, name: i % 2 ? 'read' : 'write', args: `${i}`, ret: '0', latency_ns: i, error, timestamp: '2026-11-27T20:00:00.000000Z' };
}

function harness<T = SyscallEvent>(records: Observable<TraceRecord>, overrides: Partial<SinkPipelineOptions<T>> = {}) {
  const output = new PassThrough();
  const stderr = new PassThrough();
  let stdout = '';
  let diagnostics = '';
  output.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (diagnostics += chunk));
  const batches: T[][] = [];
  const calls: string[] = [];
  const options: SinkPipelineOptions<T> = {
    command: 'test-sink',
    records: () => records,
    transform: (events) => events as unknown as Observable<T>,
    write: async (batch) => {
      calls.push(`write ${batch.length}`);
      batches.push([...batch]);
    },
    close: async () => {
      calls.push('close');
    },
    logger: createLogger('test-sink', stderr),
    tee: false,
    batchSize: 100,
    flushIntervalMs: 60_000,
    retries: 3,
    retryBaseDelayMs: 1,
    output,
    ...overrides,
  };
  return {
    run: async () => {
      const result = await runSinkPipeline(options);
      await new Promise((resolve) => setImmediate(resolve)); // let the PassThroughs deliver
      return result;
    },
    batches,
    calls,
    stdout: () => stdout,
    stderr: () => diagnostics,
  };
}

describe('runSinkPipeline', () => {
  it('writes batches of --batch-size, then the rest, then closes once', async () => {
    const sink = harness(from(Array.from({ length: 250 }, (_, i) => event(i))));
    const result = await sink.run();
    assert.deepEqual(sink.calls, ['write 100', 'write 100', 'write 50', 'close']);
    assert.deepEqual(sink.batches.flat().map((e) => e.args), Array.from({ length: 250 }, (_, i) => `${i}`));
    assert.deepEqual(result, { exitCode: 0, failedBatches: 0, failedItems: 0, deliveredItems: 250 });
    assert.equal(sink.stdout(), '', 'nothing on stdout without --tee');
  });

  it('writes a partial batch after the flush interval while the input is still open', async () => {
    const input = new Subject<TraceRecord>();
    let wrote: () => void = () => undefined;
    const firstWrite = new Promise<void>((resolve) => (wrote = resolve));
    const sink = harness(input, {
      flushIntervalMs: 5,
      write: async (batch) => {
        sink.calls.push(`write ${batch.length}`);
        wrote();
      },
    });
    const done = sink.run();
    input.next(event(1));
    input.next(event(2));
    await firstWrite; // only the timer can cause this write: the input has not ended
    assert.deepEqual(sink.calls, ['write 2']);
    input.complete();
    await done;
    assert.deepEqual(sink.calls, ['write 2', 'close']);
  });

  it('--tee passes every record (meta records too) through unchanged; meta records never reach write', async () => {
    const records: TraceRecord[] = [event(1), { type: 'lost', count: 2, timestamp: 'x' }, event(2)];
    const verbatim = records[0]!;
    sourceText.set(verbatim, '{"pid":1,  "name":"read"}');
    const sink = harness(from(records), { tee: true });
    await sink.run();
    assert.equal(sink.stdout(), ['{"pid":1,  "name":"read"}', JSON.stringify(records[1]), JSON.stringify(records[2])].join('\n') + '\n');
    assert.deepEqual(sink.batches.flat().map((e) => e.args), ['1', '2']);
  });

  it('retries a failing write with the same batch, then delivers', async () => {
    let attempts = 0;
    const seen: number[] = [];
    const sink = harness(from([event(1), event(2)]), {
      write: async (batch) => {
        seen.push(batch.length);
        if (++attempts < 3) throw new Error('HTTP 502');
      },
    });
    const result = await sink.run();
    assert.deepEqual(seen, [2, 2, 2]);
    assert.equal(result.exitCode, 0);
    assert.equal(result.deliveredItems, 2);
    assert.match(sink.stderr(), /test-sink: warning: delivery failed \(HTTP 502\); retry 1 of 3 in 1 ms\n/);
    assert.match(sink.stderr(), /retry 2 of 3 in 2 ms\n/);
  });

  it('reports what it could not deliver, keeps going, and exits 1', async () => {
    const sink = harness(from(Array.from({ length: 5 }, (_, i) => event(i))), {
      batchSize: 2,
      retries: 1,
      write: async (batch) => {
        sink.calls.push(`write ${batch.length}`);
        if (batch[0]!.args === '2') throw new Error('down');
      },
    });
    const result = await sink.run();
    assert.deepEqual(sink.calls, ['write 2', 'write 2', 'write 2', 'write 1', 'close']);
    assert.deepEqual(result, { exitCode: 1, failedBatches: 1, failedItems: 2, deliveredItems: 3 });
    assert.match(sink.stderr(), /error: could not deliver a batch of 2 items: down\n/);
    assert.match(sink.stderr(), /error: 2 items were not delivered\n/);
  });

  it('counts only what a write left in the batch as undelivered', async () => {
    const sink = harness(from([event(1), event(2), event(3)]), {
      write: async (batch) => {
        batch.shift(); // delivered the first one, then failed for good
        throw new SinkError('HTTP 404', { retryable: false });
      },
    });
    const result = await sink.run();
    assert.deepEqual(result, { exitCode: 1, failedBatches: 1, failedItems: 2, deliveredItems: 1 });
    assert.match(sink.stderr(), /error: could not deliver 2 of a batch of 3 items: HTTP 404\n/);
  });

  it('does not retry an error marked not retryable', async () => {
    const sink = harness(from([event(1)]), {
      write: async () => {
        sink.calls.push('write');
        throw new SinkError('HTTP 403', { retryable: false });
      },
    });
    const result = await sink.run();
    assert.deepEqual(sink.calls, ['write', 'close']);
    assert.equal(result.exitCode, 1);
  });

  it('exits 1 when close() fails', async () => {
    const sink = harness(from([event(1)]), {
      close: async () => {
        throw new Error('final flush refused');
      },
    });
    assert.equal((await sink.run()).exitCode, 1);
    assert.match(sink.stderr(), /error: could not flush and close: final flush refused/);
  });

  it('on an input error (--strict) still delivers and closes, then rejects with it', async () => {
    const failure = new StracectlError('INVALID_INPUT', 'stdin:3: invalid JSON');
    const sink = harness(concat(from([event(1), event(2)]), throwError(() => failure)));
    await assert.rejects(sink.run(), failure);
    assert.deepEqual(sink.calls, ['write 2', 'close']);
  });

  it('delivers what a transform emits when the input ends', async () => {
    // A transform that only counts, emitting its total at the end (as alert rules do for a last check).
    const sink = harness<string>(from([event(1), event(2, 'EIO'), event(3, 'EIO')]), {
      transform: (events) =>
        new Observable<string>((subscriber) => {
          let errors = 0;
          return events.subscribe({
            next: (e) => void (e.error !== '' && errors++),
            error: (error) => subscriber.error(error),
            complete: () => {
              subscriber.next(`errors=${errors}`);
              subscriber.complete();
            },
          });
        }),
    });
    await sink.run();
    assert.deepEqual(sink.batches, [['errors=2']]);
  });
});
