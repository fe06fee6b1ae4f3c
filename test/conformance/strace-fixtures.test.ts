/**
 * Every recorded trace in ../shared/fixtures/strace, parsed, must give
 * exactly the per-syscall calls, errors, error breakdown and latency sum of
 * its truth file — with raw names and with canonical names. The aggregation
 * here is a plain Map, independent of the aggregate operator; the canonical
 * mapping of the truth comes from the seed's alias table.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { isSyscallEvent, type SyscallEvent, type TraceRecord } from '../../src/event.js';
import { canonicalName } from '../../src/kb/aliases.js';
import { normalize } from '../../src/operators/normalize.js';
import { parseStrace } from '../../src/operators/parseStrace.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(repoRoot, '../shared');
const traceDir = path.join(shared, 'fixtures/strace');

interface TruthRow {
  calls: number;
  errors: number;
  error_breakdown?: Record<string, number>;
  seconds: number;
}
interface Truth {
  has_latency: boolean;
  lines: number;
  total_calls: number;
  total_errors: number;
  syscalls: Record<string, TruthRow>;
}
interface Row {
  calls: number;
  errors: number;
  breakdown: Record<string, number>;
  micros: number;
}

function readLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The seed's "Alias table" section: alias → canonical. */
function seedAliases(): Map<string, string> {
  const text = readFileSync(path.join(shared, 'seed/syscall-reference.txt'), 'utf8');
  const section = text.slice(text.indexOf('Alias table'));
  const map = new Map<string, string>();
  for (const line of section.split('\n').slice(1)) {
    const m = /^\|?\s*([a-z0-9_, ]+?)\s*\|\s*([a-z0-9_]+)\s*\|?$/.exec(line.trim());
    if (m === null) {
      if (map.size > 0 && line.trim() === '') break;
      continue;
    }
    for (const alias of (m[1] as string).split(',')) map.set(alias.trim(), m[2] as string);
  }
  return map;
}

function tally(events: SyscallEvent[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const e of events) {
    let row = rows.get(e.name);
    if (row === undefined) rows.set(e.name, (row = { calls: 0, errors: 0, breakdown: {}, micros: 0 }));
    row.calls++;
    assert.equal(e.latency_ns % 1000, 0, `-T values are whole microseconds: ${JSON.stringify(e)}`);
    row.micros += e.latency_ns / 1000;
    if (e.error !== '') {
      row.errors++;
      row.breakdown[e.error] = (row.breakdown[e.error] ?? 0) + 1;
    }
  }
  return rows;
}

function truthRows(truth: Truth, mapName: (name: string) => string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const [name, t] of Object.entries(truth.syscalls)) {
    const key = mapName(name);
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { calls: 0, errors: 0, breakdown: {}, micros: 0 }));
    row.calls += t.calls;
    row.errors += t.errors;
    row.micros += Math.round(t.seconds * 1e6);
    for (const [errno, n] of Object.entries(t.error_breakdown ?? {})) row.breakdown[errno] = (row.breakdown[errno] ?? 0) + n;
  }
  return rows;
}

function compare(got: Map<string, Row>, want: Map<string, Row>, hasLatency: boolean): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same syscall names');
  for (const [name, w] of want) {
    const g = got.get(name) as Row;
    assert.equal(g.calls, w.calls, `${name} calls`);
    assert.equal(g.errors, w.errors, `${name} errors`);
    assert.deepEqual(g.breakdown, w.breakdown, `${name} error_breakdown`);
    if (hasLatency) assert.equal(g.micros, w.micros, `${name} total latency (µs)`);
    else assert.equal(g.micros, 0, `${name}: no -T, no latency`);
  }
}

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const traces = readdirSync(traceDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('conformance: every fixture trace matches its truth', () => {
  it('finds the ten traces', () => assert.equal(traces.length, 10));
  const aliases = seedAliases();

  it("the seed's alias table is what canonicalName() applies", () => {
    assert.ok(aliases.size >= 30);
    for (const [alias, canonical] of aliases) assert.equal(canonicalName(alias), canonical, alias);
  });

  for (const name of traces) {
    describe(name, () => {
      const truth = JSON.parse(readFileSync(path.join(traceDir, `${name}.truth.json`), 'utf8')) as Truth;
      const lines = readLines(path.join(traceDir, `${name}.txt`));
      const invalid: string[] = [];
      const options = { date: '2026-11-27', onInvalidLine: (n: number, why: string) => void invalid.push(`${n}: ${why}`) };

      it('raw names: calls, errors, error_breakdown and latency equal the truth', async () => {
        assert.equal(lines.length, truth.lines);
        const records = await lastValueFrom(from(lines).pipe(parseStrace(options), toArray()));
        assert.deepEqual(invalid, [], 'no line is reported invalid');
        const events = records.filter(isSyscallEvent);
        assert.equal(events.length, records.length, 'no meta records without emitMeta');
        assert.equal(events.length, truth.total_calls);
        assert.equal(
          events.filter((e) => e.error !== '').length,
          truth.total_errors,
        );
        compare(tally(events), truthRows(truth, (n) => n), truth.has_latency);
        for (const e of events) {
          assert.ok(Number.isSafeInteger(e.pid) && e.pid > 0, `pid known: ${JSON.stringify(e)}`);
          assert.ok(Number.isSafeInteger(e.latency_ns) && e.latency_ns >= 0);
          assert.match(e.timestamp, ISO_MICROS);
          assert.ok(e.ret !== '');
          if (e.error === '') assert.notEqual(e.ret, '-1', `a -1 without errno: ${JSON.stringify(e)}`);
          assert.equal(e.unfinished, undefined, 'every <unfinished ...> in the fixtures is resumed');
        }
      });

      it('canonical names (normalize after parse) equal the truth summed through the seed alias table', async () => {
        const records: TraceRecord[] = await lastValueFrom(from(lines).pipe(parseStrace(options), normalize(), toArray()));
        const events = records.filter(isSyscallEvent);
        assert.equal(events.length, truth.total_calls);
        compare(tally(events), truthRows(truth, (n) => aliases.get(n) ?? n), truth.has_latency);
      });

      it('with emitMeta, signal and exit lines come out as typed records', async () => {
        const records = await lastValueFrom(from(lines).pipe(parseStrace({ ...options, emitMeta: true }), toArray()));
        const signals = lines.filter((l) => /^(?:\[pid +\d+\] +|\d+ +)?(?: *[\d:.]+ +)?--- /.test(l)).length;
        const exits = lines.filter((l) => /^(?:\[pid +\d+\] +|\d+ +)?(?: *[\d:.]+ +)?\+\+\+ /.test(l)).length;
        assert.equal(records.filter((r) => r.type === 'signal').length, signals);
        assert.equal(records.filter((r) => r.type === 'exit').length, exits);
        assert.equal(records.filter(isSyscallEvent).length, truth.total_calls);
      });
    });
  }
});

describe('conformance: fixtures/ndjson/events.ndjson is parse --no-normalize of two traces', () => {
  it('equals the parse of perl_socketpair_fork (--date 2026-11-27) then sort_parallel, field by field', async () => {
    const expected = readLines(path.join(shared, 'fixtures/ndjson/events.ndjson')).map((l) => JSON.parse(l) as SyscallEvent);
    const got: TraceRecord[] = [];
    for (const name of ['perl_socketpair_fork', 'sort_parallel']) {
      const lines = readLines(path.join(traceDir, `${name}.txt`));
      got.push(...(await lastValueFrom(from(lines).pipe(parseStrace({ date: '2026-11-27' }), toArray()))));
    }
    assert.equal(got.length, 1266);
    assert.equal(expected.length, 1266);
    for (let i = 0; i < expected.length; i++) {
      assert.deepEqual(got[i], expected[i], `event ${i + 1}`);
      // Same key order too, so the NDJSON text is identical.
      assert.equal(JSON.stringify(got[i]), JSON.stringify(expected[i]), `event ${i + 1} as text`);
    }
  });
});
