import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { NEVER, from, lastValueFrom, toArray } from 'rxjs';
import { StracectlError, printable } from '../../src/errors.js';
import { serializeRecord } from '../../src/event.js';
import { Diagnostics, FlowControl, type PipelineContext } from '../../src/io.js';
import { decodeRecords } from '../../src/operators/decodeRecords.js';
import { filterEvents, type FilterEventsOptions } from '../../src/operators/filterEvents.js';
import { parallelFilter } from '../../src/parallel/parallelFilter.js';
import { fixturesDir } from '../helpers.js';

const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
const badPath = join(fixturesDir, 'ndjson/bad.ndjson');

function context(): { ctx: PipelineContext; stderr: () => string } {
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (chunk) => (text += chunk));
  return { ctx: { flow: new FlowControl(), diagnostics: new Diagnostics('filter', sink), stop$: NEVER }, stderr: () => text };
}

/** The single-threaded composition the parallel path must match, line for line. */
async function reference(file: string, conditions: FilterEventsOptions): Promise<{ lines: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const lines = readFileSync(file, 'utf8').split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  const records = await lastValueFrom(
    from(lines).pipe(decodeRecords({ source: file, onInvalidLine: (at, why) => warnings.push(printable(`${at}: ${why}`)) }), filterEvents(conditions), toArray()),
  );
  return { lines: records.map(serializeRecord), warnings };
}

async function parallel(files: string[], conditions: FilterEventsOptions, options: { strict?: boolean; workers?: number; maxLineBytes?: number } = {}) {
  const { ctx, stderr } = context();
  const chunks = await lastValueFrom(parallelFilter(ctx, { files, conditions, ...options }).pipe(toArray()));
  return { lines: Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line !== ''), stderr: stderr() };
}

let dir: string;
let bigPath: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-parallel-'));
  bigPath = join(dir, 'big.ndjson');
  // Many blocks: the fixture 40 times with the bad lines spliced in between.
  const events = readFileSync(eventsPath, 'utf8');
  const bad = readFileSync(badPath, 'utf8');
  writeFileSync(bigPath, Array.from({ length: 40 }, () => events + bad + '\n').join(''));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const CONDITIONS: FilterEventsOptions[] = [
  {},
  { errors: true },
  { ok: true, names: ['openat', 'stat'] },
  { categories: ['NET', 'FS'], invert: true },
  { minLatencyNs: 20_000, pathGlob: '*.so*' },
];

describe('parallelFilter', () => {
  for (const conditions of CONDITIONS) {
    it(`keeps exactly what decodeRecords + filterEvents keep: ${JSON.stringify(conditions)}`, async () => {
      const expected = await reference(bigPath, conditions);
      for (const workers of [1, 3]) {
        const actual = await parallel([bigPath], conditions, { workers });
        assert.equal(actual.lines.length, expected.lines.length);
        assert.deepEqual(actual.lines, expected.lines);
        const warned = actual.stderr.split('\n').filter((line) => line.includes('(line skipped)'));
        assert.deepEqual(
          warned.map((line) => line.replace(/^stracectl filter: /, '').replace(/ \(line skipped\)$/, '')),
          expected.warnings,
        );
        assert.match(actual.stderr, new RegExp(`skipped ${expected.warnings.length} invalid lines`));
      }
    });
  }

  it('numbers lines per input file across several files', async () => {
    const actual = await parallel([eventsPath, badPath], { errors: true });
    assert.match(actual.stderr, new RegExp(`${badPath.replace(/[/.]/g, '\\$&')}:4: `));
    assert.doesNotMatch(actual.stderr, /events\.ndjson:\d+/);
  });

  it('strict: emits what came before the first bad line, then fails with its location', async () => {
    const { ctx } = context();
    const seen: Uint8Array[] = [];
    const failure = await new Promise<unknown>((resolve) => {
      parallelFilter(ctx, { files: [badPath], conditions: {}, strict: true }).subscribe({ next: (chunk) => seen.push(chunk), error: resolve, complete: () => resolve(undefined) });
    });
    assert.ok(failure instanceof StracectlError && failure.code === 'INVALID_INPUT' && failure.message.startsWith(`${badPath}:4: `), String(failure));
    assert.equal(Buffer.concat(seen).toString('utf8').trimEnd().split('\n').length, 3);
  });

  it('reports a line longer than the cap without holding it, and keeps the rest', async () => {
    const file = join(dir, 'long.ndjson');
    const events = readFileSync(eventsPath, 'utf8').split('\n').slice(0, 3);
    writeFileSync(file, `${events[0]}\n${'x'.repeat(3_000_000)}\n${events[1]}\n${events[2]}\n`);
    const actual = await parallel([file], {}, { maxLineBytes: 1000 });
    assert.deepEqual(actual.lines, [events[0], events[1], events[2]]);
    assert.match(actual.stderr, new RegExp(`long\\.ndjson:2: line too long \\(3000000 bytes\\)`));
  });

  it('a missing file is a FILE_NOT_FOUND error', async () => {
    await assert.rejects(parallel(['/nonexistent/x.ndjson'], {}), (error: unknown) => error instanceof StracectlError && error.code === 'FILE_NOT_FOUND');
  });
});
