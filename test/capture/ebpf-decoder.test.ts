/**
 * From bpftrace's output to records: generations of calls become ordered
 * SyscallEvents with their strings (even when the strings come a generation
 * late), attempts minus calls received are reported as lost, summary-mode
 * maps become one cumulative stats record, and the protocol lines (F, W, X, Q)
 * reach the session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetaRecord, StatsRecord, SyscallEvent, TraceRecord } from '../../src/event.js';
import { BpftraceDecoder, isoMicros, type DecoderSink } from '../../src/capture/ebpf/decoder.js';
import { bucketOf, PERCENTILE_RESOLUTION } from '../../src/capture/ebpf/histogram.js';
import { parseBpftraceLine } from '../../src/capture/ebpf/output.js';
import { ARGV_MORE_SLOT } from '../../src/capture/ebpf/program.js';
import { classifyArg, syscallTable, type Signature } from '../../src/capture/ebpf/syscalls.js';

const table = syscallTable('x86_64');
const sig = (name: string, args: Array<[type: string, name: string]>): [string, Signature] => [name, { name, args: args.map(([type, arg]) => classifyArg(name, type, arg)) }];
const signatures = new Map<string, Signature>([
  sig('openat', [['int', 'dfd'], ['const char *', 'filename'], ['int', 'flags'], ['umode_t', 'mode']]),
  sig('read', [['unsigned int', 'fd'], ['char *', 'buf'], ['size_t', 'count']]),
  sig('execve', [['const char *', 'filename'], ['const char *const *', 'argv'], ['const char *const *', 'envp']]),
  sig('connect', [['int', 'fd'], ['struct sockaddr *', 'uservaddr'], ['int', 'addrlen']]),
]);
const OFFSET = 1_795_000_000_000_000_000n; // Unix ns at kernel time 0

interface Harness {
  decoder: BpftraceDecoder;
  records: TraceRecord[];
  flushes: Array<[number, bigint | undefined]>;
  exited: number[];
  done: number;
  feed: (...lines: string[]) => void;
}

function harness(options: { normalize?: boolean } = {}): Harness {
  const h = { records: [] as TraceRecord[], flushes: [] as Array<[number, bigint | undefined]>, exited: [] as number[], done: 0 } as Harness;
  const sink: DecoderSink = {
    record: (record) => h.records.push(record),
    flushed: (generation, at) => h.flushes.push([generation, at]),
    ready: () => undefined,
    targetExited: (pid) => h.exited.push(pid),
    done: () => h.done++,
  };
  h.decoder = new BpftraceDecoder(
    { table, signatures, arch: 'x86_64', stringLimit: 32, normalize: options.normalize ?? false, clockOffsetNs: OFFSET, strlen: 200, now: () => OFFSET },
    sink,
  );
  h.feed = (...lines) => {
    for (const line of lines) {
      const message = parseBpftraceLine(line);
      if (message) h.decoder.push(message);
    }
  };
  return h;
}

const printf = (text: string): string => JSON.stringify({ type: 'printf', data: `${text}\n` }).replace('","', '", "').replace('":"', '": "').replace('":"', '": "');
const mapLine = (name: string, entries: string): string => `{"type": "map", "data": {"@${name}": {${entries}}}}`;
const events = (records: TraceRecord[]): SyscallEvent[] => records.filter((r): r is SyscallEvent => typeof (r as MetaRecord).type !== 'string');
const metas = (records: TraceRecord[], type: string): MetaRecord[] => records.filter((r): r is MetaRecord => (r as MetaRecord).type === type);

describe('BpftraceDecoder', () => {
  it('emits a generation ordered by entry time, with strings, and counts what the full map refused', () => {
    const h = harness();
    h.feed(
      mapLine('ev0', '"101,2000": [0,3,500,0,3,94000000,4096,0,0,0], "100,1000": [257,-2,1548,0,18446744073709551516,94000000,524288,0,0,0]'),
      mapLine('sv0', '"100,1000,1": "/etc/missing"'),
      '{"type": "map", "data": {"@n0": 5}}',
      printf('F 1 123456'),
    );
    const got = events(h.records);
    assert.deepEqual(got, [
      { pid: 100, name: 'openat', args: 'AT_FDCWD, "/etc/missing", O_RDONLY|O_CLOEXEC', ret: '-1', latency_ns: 1548, error: 'ENOENT', timestamp: isoMicros(1000n + OFFSET) },
      { pid: 101, name: 'read', args: '3, 0x59a5380, 4096', ret: '3', latency_ns: 500, error: '', timestamp: isoMicros(2000n + OFFSET) },
    ]);
    assert.deepEqual(metas(h.records, 'lost').map((r) => r.count), [3]);
    assert.deepEqual(h.flushes, [[1, 123456n]]);
    assert.equal(h.decoder.delivered, 2);
    assert.equal(h.decoder.lost, 3);
  });

  it('holds a call back one generation when its strings arrive after it (probes on both sides of a flip)', () => {
    const h = harness();
    h.feed(mapLine('ev0', '"100,1000": [257,3,900,0,18446744073709551516,94000000,0,0,0,0]'), '{"type": "map", "data": {"@n0": 1}}', printf('F 1 1'));
    assert.equal(events(h.records).length, 0);
    h.feed(mapLine('sv1', '"100,1000,1": "/late"'), printf('F 2 2'));
    assert.equal(events(h.records)[0]?.args, 'AT_FDCWD, "/late", O_RDONLY');
    // And a string that comes first waits for its call.
    h.feed(mapLine('sv0', '"100,5000,1": "/early"'), printf('F 3 3'));
    h.feed(mapLine('ev1', '"100,5000": [257,4,900,0,18446744073709551516,94000000,0,0,0,0]'), '{"type": "map", "data": {"@n1": 1}}', printf('F 4 4'));
    assert.equal(events(h.records)[1]?.args, 'AT_FDCWD, "/early", O_RDONLY');
    assert.equal(h.decoder.lost, 0);
  });

  it('joins execve with the filename and argv read at its entry (closest in time), and marks calls that never returned', () => {
    const h = harness();
    h.feed(
      mapLine('xv0', `"200,9000400,0": "/usr/bin/ls", "200,9000400,1": "ls", "200,9000400,2": "-l", "200,9000400,${ARGV_MORE_SLOT}": ""`),
      mapLine('ev0', '"200,9000000": [59,0,250000,0,94000000,94000100,94000200,0,0,0], "200,9900000": [231,0,0,1,0,0,0,0,0,0]'),
      '{"type": "map", "data": {"@n0": 2}}',
      printf('F 1 1'),
    );
    const [execve, exit] = events(h.records);
    assert.equal(execve?.args, '"/usr/bin/ls", ["ls", "-l", ...], 0x59a5448');
    assert.deepEqual([exit?.name, exit?.ret, exit?.error, exit?.latency_ns], ['exit_group', '?', '', 0]);
  });

  it('formats the socket address of connect', () => {
    const h = harness();
    h.feed(
      mapLine('ev0', '"300,7000": [42,-111,4000,0,3,94000000,16,0,0,0]'),
      mapLine('sa0', '"300,7000": [2,256,16777343,0,0,0]'),
      '{"type": "map", "data": {"@n0": 1}}',
      printf('F 1 1'),
    );
    assert.equal(events(h.records)[0]?.args, '3, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16');
  });

  it('normalises names when asked', () => {
    const h = harness({ normalize: true });
    h.feed(mapLine('ev0', '"100,1000": [262,0,700,0,18446744073709551516,0,0,0,0,0]'), '{"type": "map", "data": {"@n0": 1}}', printf('F 1 1'));
    const [event] = events(h.records);
    assert.equal(event?.name, 'fstat');
    assert.equal(event?.raw_name, 'newfstatat');
  });

  it('protocol lines: W asks for the acknowledgement again, X reports a target, Q ends it all', () => {
    const h = harness();
    h.feed(printf('F 1 10'), printf('W 1'), printf('W 2'), printf('X 4242'), printf('Q'), printf('F 3 30'));
    assert.deepEqual(h.flushes, [[1, 10n], [1, undefined], [2, undefined]]);
    assert.deepEqual(h.exited, [4242]);
    assert.equal(h.done, 1);
  });

  it('bpftrace’s own lost-event reports become lost records too', () => {
    const h = harness();
    h.feed('{"type": "lost_events", "data": {"events": 7}}');
    assert.deepEqual(metas(h.records, 'lost'), [{ type: 'lost', count: 7, timestamp: isoMicros(OFFSET), source: 'tracer-output' }]);
  });

  it('summary mode: one cumulative stats record per snapshot, aliases merged, unchanged snapshots skipped', () => {
    const h = harness({ normalize: true });
    const latencies = [700, 800, 900, 1000, 50_000];
    const buckets = new Map<number, number>();
    for (const ns of latencies) buckets.set(bucketOf(ns), (buckets.get(bucketOf(ns)) ?? 0) + 1);
    const hist = [...buckets].map(([bucket, n]) => `"262,${bucket}": ${n}`).join(', ');
    const snapshot = [
      '{"type": "stats", "data": {"@st": {"262": {"count": 5, "average": 10680, "total": 53400}, "5": {"count": 1, "average": 300, "total": 300}}}}',
      mapLine('hi', `${hist}, "5,${bucketOf(300)}": 1`),
      mapLine('er', '"262,2": 2'),
      printf('S'),
    ];
    h.feed(...snapshot, ...snapshot);
    const stats = metas(h.records, 'stats');
    assert.equal(stats.length, 1, 'the repeated snapshot is skipped');
    assert.equal(stats[0]?.percentile_resolution, PERCENTILE_RESOLUTION);
    const [fstat] = stats[0]!.stats as StatsRecord[];
    // Min and max come from the histogram too: within its resolution.
    assert.ok(Math.abs(fstat!.min_ns - 300) <= 300 * PERCENTILE_RESOLUTION);
    assert.ok(Math.abs(fstat!.max_ns - 50000) <= 50000 * PERCENTILE_RESOLUTION);
    assert.deepEqual({ ...fstat, min_ns: undefined, max_ns: undefined, p50_ns: undefined, p95_ns: undefined, p99_ns: undefined }, {
      name: 'fstat',
      category: 'FS',
      count: 6,
      errors: 2,
      error_pct: 33.33,
      total_ns: 53700,
      avg_ns: 8950,
      min_ns: undefined,
      max_ns: undefined,
      p50_ns: undefined,
      p95_ns: undefined,
      p99_ns: undefined,
      error_breakdown: { ENOENT: 2 },
    });
    // Nearest rank over [300, 700, 800, 900, 1000, 50000]: p50 = 800, p99 = 50000 (within the resolution).
    assert.ok(Math.abs(fstat!.p50_ns - 800) <= 800 * PERCENTILE_RESOLUTION);
    assert.ok(Math.abs(fstat!.p99_ns - 50000) <= 50000 * PERCENTILE_RESOLUTION);
  });
});
