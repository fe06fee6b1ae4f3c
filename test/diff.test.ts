import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { from, lastValueFrom } from 'rxjs';
import {
  FailOnSyntaxError,
  RunBuilder,
  change,
  diffRuns,
  evaluateFailOn,
  parseFailOn,
  renderDiff,
  type RunBuilderOptions,
  type RunSummary,
} from '../src/diff.js';
import { StracectlError } from '../src/errors.js';
import type { StatsRecord, SyscallEvent, TraceRecord } from '../src/event.js';
import { aggregate } from '../src/operators/aggregate.js';
import { normalize } from '../src/operators/normalize.js';
import { runAPath, runB } from './diff-support.js';
import { fixturesDir, readEvents, readJson } from './helpers.js';

const eventsA = readEvents(runAPath);
const eventsB = runB(eventsA);

function build(lines: readonly string[], source = 'run', options: RunBuilderOptions = {}): RunSummary {
  const builder = new RunBuilder(source, options);
  for (const line of lines) builder.addLine(line);
  return builder.finish();
}
const fromEvents = (events: readonly object[], source = 'run'): RunSummary => build(events.map((e) => JSON.stringify(e)), source);
async function statsOf(events: readonly SyscallEvent[], normalized = true): Promise<StatsRecord[]> {
  const source = from(events as TraceRecord[]);
  return lastValueFrom(normalized ? source.pipe(normalize(), aggregate()) : source.pipe(aggregate()));
}

const A = fromEvents(eventsA, 'a.ndjson');
const B = fromEvents(eventsB, 'b.ndjson');
const diff = diffRuns(A, B);
const row = (name: string) => diff.syscalls.find((s) => s.name === name)!;

describe('RunBuilder', () => {
  it('folds events per canonical name: counts and errors equal the fixture truth', () => {
    const expected = readJson<{ syscalls: Record<string, { calls: number; errors: number; total_ns: number }> }>(join(fixturesDir, 'ndjson/events.expected.json'));
    const canonical = new Map<string, { calls: number; errors: number; total_ns: number }>();
    const ALIASES: Record<string, string> = { newfstatat: 'fstat', clone3: 'clone', exit: 'exit_group', geteuid: 'getuid', getgid: 'getuid', getegid: 'getuid', dup2: 'dup', pipe2: 'pipe' };
    for (const [name, truth] of Object.entries(expected.syscalls)) {
      const key = ALIASES[name] ?? name;
      const sum = canonical.get(key) ?? { calls: 0, errors: 0, total_ns: 0 };
      canonical.set(key, { calls: sum.calls + truth.calls, errors: sum.errors + truth.errors, total_ns: sum.total_ns + truth.total_ns });
    }
    assert.equal(A.kind, 'events');
    assert.equal(A.calls, 1266);
    assert.equal(A.errors, 190);
    assert.deepEqual([...A.stats.keys()].sort(), [...canonical.keys()].sort());
    for (const [name, truth] of canonical) {
      const stats = A.stats.get(name)!;
      assert.deepEqual([stats.count, stats.errors, stats.total_ns], [truth.calls, truth.errors, truth.total_ns], name);
    }
  });

  it('reads aggregate NDJSON and a top --json array to the same numbers as the events', async () => {
    const records = await statsOf(eventsA);
    const ndjson = build(records.map((r) => JSON.stringify(r)));
    const array = build(JSON.stringify(records, null, 2).split('\n'));
    for (const run of [ndjson, array]) {
      assert.equal(run.kind, 'stats');
      assert.equal(run.calls, 1266);
      assert.equal(run.errors, 190);
      assert.deepEqual(run.stats, A.stats);
    }
    assert.deepEqual(diffRuns(A, array).syscalls.filter((s) => s.status !== 'unchanged'), []);
  });

  it('merges raw-name stats under the canonical name (percentiles become upper bounds) and says so', async () => {
    const raw = await statsOf(eventsA, false);
    assert.ok(raw.some((r) => r.name === 'newfstatat'));
    const notices: string[] = [];
    const run = build(raw.map((r) => JSON.stringify(r)), 'raw.ndjson', { onNotice: (message) => notices.push(message) });
    const getuid = run.stats.get('getuid')!;
    const parts = raw.filter((r) => ['getuid', 'geteuid', 'getgid', 'getegid'].includes(r.name));
    assert.equal(parts.length, 4);
    assert.equal(getuid.count, parts.reduce((n, r) => n + r.count, 0));
    assert.equal(getuid.p95_ns, Math.max(...parts.map((r) => r.p95_ns)));
    assert.equal(run.stats.get('fstat')!.count, 187);
    assert.equal(run.calls, 1266);
    assert.match(notices.join('\n'), /raw\.ndjson: stats merged per syscall name: .*getuid \(4 records\).*upper bounds/);
  });

  it('aggregate --interval output: the last snapshot of each group wins', async () => {
    const half = await statsOf(eventsA.slice(0, 600));
    const full = await statsOf(eventsA);
    const run = build([...half, ...full].map((r) => JSON.stringify(r)));
    assert.equal(run.calls, 1266);
    assert.deepEqual(run.stats, A.stats);
  });

  it('capture --summary output: the last {type: "stats"} snapshot is the run, the sampled events next to it are not counted', async () => {
    const half = await statsOf(eventsA.slice(0, 600));
    const full = await statsOf(eventsA);
    const failing = eventsA.filter((event) => event.error !== '').slice(0, 3).map((event) => JSON.stringify(event));
    const snapshot = (stats: StatsRecord[]) => JSON.stringify({ type: 'stats', stats, timestamp: '2026-11-27T20:53:10.000000Z' });
    const run = build([failing[0]!, snapshot(half), failing[1]!, failing[2]!, snapshot(full)]);
    assert.equal(run.kind, 'stats');
    assert.equal(run.calls, 1266);
    assert.deepEqual(run.stats, A.stats);
  });

  it('skips bad lines with their location, or throws INVALID_INPUT with strict; meta records are ignored', () => {
    const good = JSON.stringify(eventsA[0]);
    const lines = [good, '{"pid": 1', '', JSON.stringify({ type: 'exit', pid: 1, status: 0 }), JSON.stringify({ name: 'read', count: 3, errors: 0, p50_ns: 1, p95_ns: 1, p99_ns: 1 }), '[1]', good];
    const invalid: string[] = [];
    const run = build(lines, 'x.ndjson', { onInvalidLine: (location, reason) => invalid.push(`${location}: ${reason}`) });
    assert.equal(run.calls, 2);
    assert.deepEqual(
      invalid.map((line) => line.replace(/ \(.*$/, '')),
      ['x.ndjson:2: invalid JSON', 'x.ndjson:5: a stats record in a file of events', 'x.ndjson:6: expected a JSON object, got an array'],
    );
    assert.throws(() => build(lines, 'x.ndjson', { strict: true }), (error: unknown) => error instanceof StracectlError && error.code === 'INVALID_INPUT' && /^x\.ndjson:2: /.test(error.message));
    assert.throws(() => build(['[', '{"name": "read"'], 'y.json'), /y\.json: invalid JSON document/);
  });
});

describe('diffRuns', () => {
  it('finds the new and vanished syscalls', () => {
    assert.deepEqual(diff.new, ['ptrace']);
    assert.deepEqual(diff.vanished, ['rt_sigaction']);
    assert.deepEqual(row('ptrace').a, null);
    assert.equal(row('ptrace').b!.count, 5);
    assert.equal(row('rt_sigaction').b, null);
    assert.deepEqual(row('rt_sigaction').delta.count, { abs: -158, pct: -100 });
    assert.deepEqual(row('ptrace').delta.count, { abs: 5, pct: null });
  });

  it('computes count, error-rate and latency deltas, absolute and relative', () => {
    assert.deepEqual(row('write').delta.count, { abs: 100, pct: 31.06 });
    assert.equal(row('read').a!.error_pct, 2.22);
    assert.equal(row('read').b!.error_pct, 22.22);
    assert.deepEqual(row('read').delta.error_pct, { abs: 20, pct: 900.9 });
    assert.deepEqual(row('read').delta.errors, { abs: 9, pct: 900 });
    for (const metric of ['p50', 'p95', 'p99', 'avg', 'total'] as const) {
      const pct = row('openat').delta[metric].pct!;
      assert.ok(pct > 97 && pct < 103, `openat ${metric} ${pct}%`);
      assert.equal(row('openat').delta[metric].abs, row('openat').b![`${metric}_ns`] - row('openat').a![`${metric}_ns`]);
    }
    assert.equal(row('openat').delta.count.abs, 0);
    assert.equal(row('close').status, 'unchanged');
    assert.equal(row('openat').status, 'changed');
    assert.deepEqual(diff.totals.count, { a: 1266, b: 1266 - 158 + 5 + 100, abs: -53, pct: -4.19 });
    assert.deepEqual(diff.totals.errors, { a: 190, b: 199, abs: 9, pct: 4.74 });
  });

  it('sorts by impact (share of time, errors and calls that moved), or by one metric\'s change, or by name', () => {
    const impacts = diff.syscalls.map((s) => s.impact);
    assert.deepEqual(impacts, [...impacts].sort((x, y) => y - x));
    assert.equal(diff.syscalls.at(-1)!.impact, 0);
    assert.ok(['read', 'rt_sigaction', 'write'].includes(diff.syscalls[0]!.name), diff.syscalls[0]!.name);
    assert.deepEqual(diffRuns(A, B, 'count').syscalls.slice(0, 2).map((s) => s.name), ['rt_sigaction', 'write']);
    assert.equal(diffRuns(A, B, 'error_pct').syscalls[0]!.name, 'read');
    const names = diffRuns(A, B, 'name').syscalls.map((s) => s.name);
    assert.deepEqual(names, [...names].sort());
  });

  it('change(): relative to A, null when growing from zero', () => {
    assert.deepEqual(change(10, 15), { abs: 5, pct: 50 });
    assert.deepEqual(change(0, 0), { abs: 0, pct: 0 });
    assert.deepEqual(change(0, 3), { abs: 3, pct: null });
    assert.deepEqual(change(4, 0), { abs: -4, pct: -100 });
  });

  it('renders a summary line and one row per syscall', () => {
    const text = renderDiff(diff);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^A: a\.ndjson \(events\), B: b\.ndjson \(events\); calls 1266 → 1213 \(-53, -4\.2%\); errors 190 → 199 \(\+9, \+4\.7%\); syscalls 38 → 38 \(1 new, 1 vanished\)$/);
    assert.match(text, /│ SYSCALL +│ CHANGE +│ CALLS +│ ERR% +│ P50 +│ P95 +│ P99 +│/);
    assert.match(text, /│ ptrace +│ new +│ – → 5 +│ – → 0\.0% +│/);
    assert.match(text, /│ rt_sigaction +│ vanished +│ 158 → – +│/);
    assert.match(text, /│ read +│ changed +│ 45 +│ 2\.2% → 22\.2% \(\+20\.0pp\) +│/);
    assert.match(text, /│ write +│ changed +│ 322 → 422 \(\+100, \+31\.1%\) +│/);
    assert.match(text, /│ openat +│ changed +│ 81 +│ 33\.3% +│ [\d.]+µs → [\d.]+µs \(\+[\d.]+µs, \+(9[89]|10[0-2])\.\d%\)/);
    assert.equal(lines.filter((line) => line.startsWith('│ ') && !line.includes('SYSCALL')).length, 39);
    assert.equal(renderDiff(diff, { limit: 3 }).split('\n').filter((line) => line.startsWith('│ ') && !line.includes('SYSCALL')).length, 3);
  });
});

describe('--fail-on expressions', () => {
  it('parses every form', () => {
    assert.deepEqual(parseFailOn('error_pct>+5'), { text: 'error_pct>+5', scope: undefined, kind: 'metric', metric: 'error_pct', op: '>', value: 5, relative: false });
    assert.deepEqual(parseFailOn('p95>+20%'), { text: 'p95>+20%', scope: undefined, kind: 'metric', metric: 'p95', op: '>', value: 20, relative: true });
    assert.deepEqual(parseFailOn('count > 10%'), { text: 'count > 10%', scope: undefined, kind: 'metric', metric: 'count', op: '>', value: 10, relative: true });
    assert.deepEqual(parseFailOn('openat:p95>+20%'), { text: 'openat:p95>+20%', scope: 'openat', kind: 'metric', metric: 'p95', op: '>', value: 20, relative: true });
    assert.equal(parseFailOn('open:count>1').scope, 'openat', 'aliases resolve');
    assert.deepEqual(parseFailOn('p99>=+2ms'), { text: 'p99>=+2ms', scope: undefined, kind: 'metric', metric: 'p99', op: '>=', value: 2_000_000, relative: false });
    assert.equal(parseFailOn('count<-50%').value, -50);
    assert.equal(parseFailOn('avg<=-500us').value, -500_000);
    assert.equal(parseFailOn('err%>3pp').metric, 'error_pct');
    assert.equal(parseFailOn('calls>100').metric, 'count');
    assert.deepEqual(parseFailOn('total:error_pct>+2'), { text: 'total:error_pct>+2', scope: 'total', kind: 'metric', metric: 'error_pct', op: '>', value: 2, relative: false });
    assert.deepEqual(parseFailOn('new'), { text: 'new', scope: undefined, kind: 'new' });
    assert.deepEqual(parseFailOn('ptrace:new'), { text: 'ptrace:new', scope: 'ptrace', kind: 'new' });
    assert.deepEqual(parseFailOn('vanished'), { text: 'vanished', scope: undefined, kind: 'vanished' });
  });

  it('rejects malformed expressions with a reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /cannot read/],
      ['p95', /cannot read/],
      ['p95>>5%', /cannot read/],
      ['p95>+20', /needs a duration unit/],
      ['latency99>1ms', /unknown metric "latency99"/],
      ['count>5ms', /number of calls/],
      ['error_pct>5ms', /percentage points/],
      ['total:p95>+10%', /whole run has only count, errors, error_pct, total/],
      ['total:new', /means nothing/],
      ['openat:', /cannot read/],
      ['p95>+x%', /cannot read/],
    ];
    for (const [text, reason] of bad) assert.throws(() => parseFailOn(text), (error: unknown) => error instanceof FailOnSyntaxError && reason.test(error.message), text);
  });

  const check = (...texts: string[]) => evaluateFailOn(texts.map(parseFailOn), diff);
  const held = (...texts: string[]) => check(...texts).matches.map((match) => `${match.condition.text} ${match.name}`);

  it('error_pct (absolute points), count (relative), p95 (relative), p99 (absolute), scoped and whole-run', () => {
    assert.deepEqual(held('error_pct>+5'), ['error_pct>+5 read']);
    assert.deepEqual(held('error_pct>+20.5'), []);
    assert.deepEqual(held('error_pct>=+20'), ['error_pct>=+20 read']);
    assert.deepEqual(held('count>+10%'), ['count>+10% write']);
    assert.deepEqual(held('count>+31.1%'), []);
    assert.deepEqual(held('count>+100'), []);
    assert.deepEqual(held('count>=+100'), ['count>=+100 write']);
    assert.deepEqual(held('p95>+20%'), ['p95>+20% openat']);
    assert.deepEqual(held('openat:p95>+90%'), ['openat:p95>+90% openat']);
    assert.deepEqual(held('openat:p95>+110%'), []);
    assert.deepEqual(held('read:p95>+1%'), []);
    const openat = row('openat');
    const p99Abs = openat.delta.p99.abs;
    assert.deepEqual(held(`openat:p99>+${Math.floor(p99Abs / 1000) - 1}us`), [`openat:p99>+${Math.floor(p99Abs / 1000) - 1}us openat`]);
    assert.deepEqual(held(`openat:p99>+${Math.ceil(p99Abs / 1000) + 1}us`), []);
    assert.deepEqual(held('total:count<-4%'), ['total:count<-4% total']);
    assert.deepEqual(held('total:count<-5%'), []);
    assert.deepEqual(held('total:errors>+8'), ['total:errors>+8 total']);
    assert.deepEqual(held('errors>+800%'), ['errors>+800% read']);
    assert.deepEqual(held('p50<-10%'), [], 'nothing got faster');
  });

  it('new and vanished, any or scoped; metric conditions ignore syscalls missing from a run', () => {
    assert.deepEqual(held('new'), ['new ptrace']);
    assert.deepEqual(held('ptrace:new'), ['ptrace:new ptrace']);
    assert.deepEqual(held('connect:new'), []);
    assert.deepEqual(held('vanished'), ['vanished rt_sigaction']);
    assert.deepEqual(held('rt_sigaction:vanished'), ['rt_sigaction:vanished rt_sigaction']);
    assert.deepEqual(held('count>+10%').includes('count>+10% ptrace'), false);
    const { matches, notes } = check('rt_sigaction:count<-50%', 'connect:p95>+1%');
    assert.deepEqual(matches, []);
    assert.deepEqual(notes, ['rt_sigaction:count<-50%: rt_sigaction is vanished (not in both runs), not checked', 'connect:p95>+1%: connect is in neither run, not checked']);
  });

  it('--min-count skips rarely called syscalls for unscoped conditions only', () => {
    const conditions = [parseFailOn('error_pct>+5')];
    assert.equal(evaluateFailOn(conditions, diff, { minCount: 45 }).matches.length, 1);
    assert.equal(evaluateFailOn(conditions, diff, { minCount: 46 }).matches.length, 0);
    assert.equal(evaluateFailOn([parseFailOn('read:error_pct>+5')], diff, { minCount: 1000 }).matches.length, 1);
  });

  it('names the change in each match', () => {
    const [match] = check('write:count>+10%').matches;
    assert.equal(match!.message, 'write count 322 → 422 (+100, +31.1%)');
    assert.equal(check('read:error_pct>+5').matches[0]!.message, 'read error_pct 2.2% → 22.2% (+20.0pp)');
    assert.match(check('openat:p95>+20%').matches[0]!.message, /^openat p95 [\d.]+µs → [\d.]+µs \(\+[\d.]+µs, \+\d+\.\d%\)$/);
  });
});
