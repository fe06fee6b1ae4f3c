/**
 * The `parse` hot path — lineBlocksFromStream → parseStraceToNdjson — must
 * write exactly what the per-line path writes: linesFromStream → parseStrace
 * → (normalize) → parsedRecordToJson, one line each; on this thread, and with
 * every block scanned on worker threads (each piece read is one block, so
 * small pieces put block boundaries everywhere). Checked on every fixture
 * trace read in odd-sized pieces, and on input built to break a splitter:
 * pieces cut inside lines and inside UTF-8 characters, CRLF, invalid UTF-8,
 * no final newline, blank lines, lines over the length cap.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { lastValueFrom, map, toArray, type Observable } from 'rxjs';
import type { TraceRecord } from '../../src/event.js';
import { lineBlocksFromStream, linesFromStream } from '../../src/io.js';
import { normalize } from '../../src/operators/normalize.js';
import { parseStrace, parseStraceToNdjson } from '../../src/operators/parseStrace.js';
import { ParsePool } from '../../src/parallel/parsePool.js';
import { parsedRecordToJson } from '../../src/strace/json.js';

const traceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/strace');
const traces = readdirSync(traceDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => ({ name: f, bytes: readFileSync(path.join(traceDir, f)) }));

/** The bytes as a stream delivering them in pieces cut at `cuts` (byte offsets). */
function streamOf(bytes: Buffer, cuts: readonly number[]): Readable {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    pieces.push(bytes.subarray(at, cut));
    at = cut;
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at));
  return Readable.from(pieces);
}

function everyNth(bytes: Buffer, n: number): number[] {
  const cuts: number[] = [];
  for (let at = n; at < bytes.length; at += n) cuts.push(at);
  return cuts;
}

interface Run {
  stdout: string;
  warnings: string[];
}

interface Options {
  normalized?: boolean;
  meta?: boolean;
  maxLineBytes?: number;
  strict?: boolean;
}

/** The per-line path, as `parse` ran it before the hot path. */
async function perLine(bytes: Buffer, cuts: readonly number[], options: Options = {}): Promise<Run> {
  const warnings: string[] = [];
  const lines = linesFromStream(streamOf(bytes, cuts), {
    name: 'in',
    maxLineBytes: options.maxLineBytes,
    onOversizedLine: (location) => warnings.push(`${location}: line too long`),
  });
  const parsed = lines.pipe(
    parseStrace({
      date: '2026-11-27',
      emitMeta: options.meta,
      onInvalidLine: (lineNumber, reason) => {
        if (options.strict) throw new Error(`in:${lineNumber}: ${reason}`);
        warnings.push(`in:${lineNumber}: ${reason}`);
      },
    }),
  );
  const records: Observable<TraceRecord> = options.normalized ? parsed.pipe(normalize()) : parsed;
  const out: string[] = [];
  try {
    await lastValueFrom(records.pipe(map((record) => out.push(parsedRecordToJson(record) + '\n')), toArray()), { defaultValue: [] });
  } catch (error) {
    warnings.push(`error: ${(error as Error).message}`);
  }
  return { stdout: out.join(''), warnings };
}

/** Block size that gathers about two of these pieces. */
function blockBytes(cuts: readonly number[]): number {
  return cuts.length < 2 ? 1 : Math.max(1, cuts[1]! - cuts[0]!) + 1;
}

/** Two workers for the runs that scan every block on other threads. */
const pool = new ParsePool(2);
after(() => pool.close());

/** The hot path; with `workers`, every piece read is scanned on the pool's threads (odd pieces alone, even ones in pairs). */
async function chunked(bytes: Buffer, cuts: readonly number[], options: Options = {}, workers = false): Promise<Run> {
  const warnings: string[] = [];
  const ndjson = lineBlocksFromStream(streamOf(bytes, cuts), { name: 'in', maxLineBytes: options.maxLineBytes }).pipe(
    parseStraceToNdjson({
      date: '2026-11-27',
      emitMeta: options.meta,
      normalize: options.normalized === true,
      maxLineBytes: options.maxLineBytes,
      pool: workers ? pool : undefined,
      sequentialBytes: 0,
      blockBytes: workers ? blockBytes(cuts) : undefined,
      onInvalidLine: (lineNumber, reason) => {
        if (options.strict) throw new Error(`in:${lineNumber}: ${reason}`);
        warnings.push(`in:${lineNumber}: ${reason}`);
      },
      onOversizedLine: (lineNumber) => warnings.push(`in:${lineNumber}: line too long`),
    }),
  );
  const out: Buffer[] = [];
  try {
    await lastValueFrom(ndjson.pipe(map((bytes) => out.push(Buffer.from(bytes))), toArray()), { defaultValue: [] });
  } catch (error) {
    warnings.push(`error: ${(error as Error).message}`);
  }
  return { stdout: Buffer.concat(out).toString('utf8'), warnings };
}

async function assertSame(bytes: Buffer, cuts: readonly number[], options: Options = {}, workers = false): Promise<void> {
  const expected = await perLine(bytes, cuts, options);
  const actual = await chunked(bytes, cuts, options, workers);
  assert.equal(actual.stdout, expected.stdout);
  assert.deepEqual(actual.warnings, expected.warnings);
}

for (const workers of [false, true])
describe(`the parse hot path (lineBlocksFromStream → parseStraceToNdjson${workers ? ', blocks scanned by workers' : ''})`, () => {
  it('writes what the per-line path writes for every fixture trace: raw, normalised, with meta records', async () => {
    for (const { name, bytes } of traces) {
      for (const options of [{}, { normalized: true }, { normalized: true, meta: true }] satisfies Options[]) {
        const expected = await perLine(bytes, [], options);
        assert.ok(expected.stdout.length > 0, name);
        // Odd piece sizes put the cuts inside lines everywhere.
        for (const size of [1 << 20, 4093, 97]) {
          const actual = await chunked(bytes, everyNth(bytes, size), options, workers);
          assert.equal(actual.stdout, expected.stdout, `${name} ${JSON.stringify(options)} pieces of ${size}`);
          assert.deepEqual(actual.warnings, expected.warnings, name);
        }
      }
    }
  });

  it('all fixture traces back to back, one piece per byte near the joins', async () => {
    const bytes = Buffer.concat(traces.map((t) => t.bytes));
    const cuts = everyNth(bytes, 65_536);
    let at = 0;
    for (const t of traces) {
      at += t.bytes.length;
      for (let k = -3; k <= 3; k++) cuts.push(at + k);
    }
    await assertSame(bytes, cuts, { normalized: true, meta: true }, workers);
  });

  it('cuts inside multi-byte UTF-8 characters, CRLF, invalid UTF-8, blank lines, no final newline', async () => {
    const text =
      '1 20:53:07.000001 openat(AT_FDCWD, "/tmp/é€😀", O_RDONLY) = 3</tmp/é€😀> <0.000010>\r\n' +
      '\r\n' +
      '\n' +
      '2 20:53:07.000002 write(1, "\\"quoted\\" \\\\ back", 16 <unfinished ...>\n' +
      '1 20:53:07.000003 read(3, "ü", 2) = 2 <0.000004>\r\n' +
      'not strace at all ✗\n' +
      '2 20:53:07.000005 <... write resumed>) = 16 <0.000003>\n' +
      '3 20:53:07.000006 +++ exited with 0 +++\n' +
      '1 20:53:07.000007 close(3) = 0';
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xe2, 0x82, 0x0a]), Buffer.from('1 20:53:07.000008 getpid() = 1 \xff\n', 'latin1')]);
    for (let size = 1; size <= 9; size++) {
      await assertSame(bytes, everyNth(bytes, size), { normalized: true, meta: true }, workers);
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        await assertSame(bytes, cuts, { normalized: true }, workers);
        await assertSame(bytes.subarray(0, bytes.length - 1), cuts, {}, workers); // no final newline
      }),
      { numRuns: 200 },
    );
  });

  it('lines over the cap are skipped with their line number, however the pieces fall', async () => {
    const long = 'A'.repeat(300);
    const text = `1 brk(NULL) = 0x1\n1 write(1, "${long}", 300) = 300\n1 brk(NULL) = 0x2\n1 write(1, "${long}", 300) = 300\r\n\n1 write(1, "${long}"`;
    const bytes = Buffer.from(text);
    for (const size of [7, 64, 100, 250, 333, 1000]) {
      const run = await chunked(bytes, everyNth(bytes, size), { maxLineBytes: 200 }, workers);
      assert.deepEqual(run.warnings, ['in:2: line too long', 'in:4: line too long', 'in:6: line too long'], `pieces of ${size}`);
      assert.equal(run.stdout, (await perLine(bytes, everyNth(bytes, size), { maxLineBytes: 200 })).stdout);
    }
  });

  it('an onInvalidLine that throws ends the stream after writing everything before that line', async () => {
    const bytes = Buffer.from('1 brk(NULL) = 0x1\n1 brk(NULL) = 0x2\nnot strace\n1 brk(NULL) = 0x3\n');
    for (const size of [5, 1000]) {
      const run = await chunked(bytes, everyNth(bytes, size), { strict: true }, workers);
      assert.deepEqual(run.warnings, ['error: in:3: not a strace line']);
      assert.equal(run.stdout.split('\n').length - 1, 2);
      await assertSame(bytes, everyNth(bytes, size), { strict: true }, workers);
    }
  });

  it('empty input: nothing out', async () => {
    assert.deepEqual(await chunked(Buffer.alloc(0), [], {}, workers), { stdout: '', warnings: [] });
    await assertSame(Buffer.from('\n\n'), [1], {}, workers);
  });
});

describe('parseStraceToNdjson with workers on a live pipe', () => {
  it('small reads are gathered for a moment, not held back until a full block', async () => {
    const lines = ['1 brk(NULL) = 0x1\n', '1 brk(NULL) = 0x2\n', '1 read(0, "x", 1) = 1\n', '1 brk(NULL) = 0x3\n'];
    const source = new Readable({ read() {} });
    let pushed = 0;
    const timer = setInterval(() => {
      source.push(lines[pushed++]);
      if (pushed === lines.length) {
        clearInterval(timer);
        setTimeout(() => source.push(null), 200);
      }
    }, 60);
    const arrivals: number[] = [];
    const out: string[] = [];
    await lastValueFrom(
      lineBlocksFromStream(source, { name: 'in' }).pipe(
        parseStraceToNdjson({ date: '2026-11-27', normalize: false, pool, sequentialBytes: 0 }),
        map((bytes) => {
          arrivals.push(pushed);
          out.push(Buffer.from(bytes).toString());
        }),
        toArray(),
      ),
    );
    assert.equal(out.join(''), (await perLine(Buffer.from(lines.join('')), [])).stdout);
    // The first line came out long before the input ended.
    assert.ok(arrivals[0]! < lines.length, `arrivals after ${arrivals.join(', ')} lines pushed`);
  });
});
