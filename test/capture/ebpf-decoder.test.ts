/**
 * From bpftrace's output to records: `E` records of staged calls become
 * SyscallEvents with the strings printed before them (or, printed on another
 * CPU, after them: held until the next tick), gaps in a CPU's count of
 * printed calls are reported as lost, summary-mode maps become one cumulative
 * stats record, and the protocol lines (P, X, Q) reach the session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetaRecord, StatsRecord, SyscallEvent, TraceRecord } from '../../src/event.js';
import { BpftraceDecoder, isoMicros, type DecoderSink } from '../../src/capture/ebpf/decoder.js';
import { bucketOf, PERCENTILE_RESOLUTION } from '../../src/capture/ebpf/histogram.js';
import { parseBpftraceLine } from '../../src/capture/ebpf/output.js';
import { ARGV_MORE_SLOT, CALL_FIELDS, CALLS_PER_RECORD } from '../../src/capture/ebpf/program.js';
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
  ticks: Array<[number, bigint]>;
  exited: number[];
  done: number;
  feed: (...lines: string[]) => void;
}

function harness(options: { normalize?: boolean } = {}): Harness {
  const h = { records: [] as TraceRecord[], ticks: [] as Array<[number, bigint]>, exited: [] as number[], done: 0 } as Harness;
  const sink: DecoderSink = {
    record: (record) => h.records.push(record),
    progress: (cpu, _counted, time) => {
      if (time !== undefined) h.ticks.push([cpu, time]);
    },
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

/** An `E` record as the kernel prints it: every slot of the stage, the first `calls.length` of them new (the rest stale). */
function callsLine(cpu: number, printed: number, calls: Array<Array<number | string>>): string {
  const slots = [...calls.map((fields) => fields.map(String))];
  while (slots.length < CALLS_PER_RECORD) slots.push(Array.from({ length: CALL_FIELDS }, () => '7'));
  for (const fields of slots) assert.equal(fields.length, CALL_FIELDS);
  return printf(`E ${cpu} ${printed} ${calls.length} ${slots.flat().join(' ')}`);
}

describe('BpftraceDecoder', () => {
  it('emits each new call of an E record, with the strings printed before it', () => {
    const h = harness();
    h.feed(
      printf('S 100 1000 /etc/missing'),
      callsLine(0, 2, [
        [100, 1000, 257, -2, 1548, -100, 94000000, 524288, 0, 0, 0],
        [101, 2000, 0, 3, 500, 3, 94000000, 4096, 0, 0, 0],
      ]),
    );
    assert.deepEqual(events(h.records), [
      { pid: 100, name: 'openat', args: 'AT_FDCWD, "/etc/missing", O_RDONLY|O_CLOEXEC', ret: '-1', latency_ns: 1548, error: 'ENOENT', timestamp: isoMicros(1000n + OFFSET) },
      { pid: 101, name: 'read', args: '3, 0x59a5380, 4096', ret: '3', latency_ns: 500, error: '', timestamp: isoMicros(2000n + OFFSET) },
    ]);
    assert.equal(h.decoder.delivered, 2);
    assert.equal(h.decoder.lost, 0);
  });

  it('a gap in a CPU\'s count of printed calls is the number lost; counts are per CPU; a tick closes the gap at the end', () => {
    const h = harness();
    const read = (tid: number): number[] => [tid, 5000, 0, 1, 100, 3, 0, 1, 0, 0, 0];
    h.feed(callsLine(0, 2, [read(1), read(2)]), callsLine(1, 1, [read(3)]));
    h.feed(callsLine(0, 9, [read(4), read(5)])); // cpu 0 printed 7 (after its first 2): 5 never arrived
    h.feed(printf('P 1 4 123'), printf('P 0 9 124')); // cpu 1 printed 4, we saw 1
    assert.deepEqual(metas(h.records, 'lost').map((r) => [r.count, r.source]), [[5, 'reader-behind'], [3, 'reader-behind']]);
    assert.equal(h.decoder.delivered, 5);
    assert.equal(h.decoder.lost, 8);
    assert.deepEqual(h.ticks, [[1, 123n], [0, 124n]]);
  });

  it('holds a call whose strings come after it (another CPU) until they arrive or the next tick', () => {
    const h = harness();
    h.feed(callsLine(0, 1, [[100, 1000, 257, 3, 900, -100, 94000000, 0, 0, 0, 0]]));
    assert.equal(events(h.records).length, 0);
    h.feed(printf('S 100 1000 /late'), printf('P 0 1 2000'));
    assert.equal(events(h.records)[0]?.args, 'AT_FDCWD, "/late", O_RDONLY');
    // A string that never comes: the call goes at the next tick, its argument as an address.
    h.feed(callsLine(0, 2, [[100, 3000, 257, 3, 900, -100, 94000000, 0, 0, 0, 0]]), printf('P 0 2 4000'));
    assert.equal(events(h.records)[1]?.args, 'AT_FDCWD, 0x59a5380, O_RDONLY');
    assert.equal(h.decoder.lost, 0);
  });

  it('a string keeps its bytes: spaces, quotes, newlines and bytes that are not UTF-8', () => {
    const h = harness();
    h.feed('{"type": "printf", "data": "S 100 1000 /tmp/a b\\"c\\n\\uffffffe9\\n"}', callsLine(0, 1, [[100, 1000, 257, 3, 900, -100, 94000000, 0, 0, 0, 0]]));
    assert.equal(events(h.records)[0]?.args, 'AT_FDCWD, "/tmp/a b\\"c\\n\\351", O_RDONLY');
  });

  it('joins execve with the filename and argv read at its entry (closest in time), and marks calls that never returned', () => {
    const h = harness();
    h.feed(
      printf('V 200 9000400 0 /usr/bin/ls'),
      printf('V 200 9000400 1 ls'),
      printf('V 200 9000400 2 -l'),
      printf(`V 200 9000400 ${ARGV_MORE_SLOT} `),
      callsLine(1, 2, [
        [200, 9000000, 59, 0, 250000, 94000000, 94000100, 94000200, 0, 0, 0],
        [200, 9900000, 231, 0, -1, 0, 0, 0, 0, 0, 0],
      ]),
    );
    const [execve, exit] = events(h.records);
    assert.equal(execve?.args, '"/usr/bin/ls", ["ls", "-l", ...], 0x59a5448');
    assert.deepEqual([exit?.name, exit?.ret, exit?.error, exit?.latency_ns], ['exit_group', '?', '', 0]);
  });

  it('formats the socket address of connect (signed words back to unsigned)', () => {
    const h = harness();
    h.feed(printf('A 300 7000 2 256 16777343 0 0 0'), callsLine(0, 1, [[300, 7000, 42, -111, 4000, 3, 94000000, 16, 0, 0, 0]]));
    assert.equal(events(h.records)[0]?.args, '3, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16');
    const v6 = harness();
    // The kernel prints 64-bit words with %lld: the last eight bytes of ::ffff:ffff:ffff:ffff come as -1.
    v6.feed(printf('A 300 7000 10 20480 0 0 -1 0'), callsLine(0, 1, [[300, 7000, 42, 0, 4000, 3, 94000000, 28, 0, 0, 0]]));
    assert.match(events(v6.records)[0]?.args ?? '', /AF_INET6, sin6_port=htons\(80\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, "::ffff:ffff:ffff:ffff"/);
  });

  it('normalises names when asked', () => {
    const h = harness({ normalize: true });
    h.feed(callsLine(0, 1, [[100, 1000, 262, 0, 700, -100, 0, 0, 0, 0, 0]]));
    const [event] = events(h.records);
    assert.equal(event?.name, 'fstat');
    assert.equal(event?.raw_name, 'newfstatat');
  });

  it('protocol lines: P reports a tick, X a target, Q that END ran (records drained after it still count)', () => {
    const h = harness();
    h.feed(printf('P 0 0 10'), printf('X 4242'), printf('Q'), printf('P 1 0 30'));
    assert.deepEqual(h.ticks, [[0, 10n], [1, 30n]]);
    assert.deepEqual(h.exited, [4242]);
    assert.equal(h.done, 1);
  });

  it('at the end: the calls END found staged, and calls counted but never read as lost', () => {
    const h = harness();
    const read = (tid: number, time: number): number[] => [tid, time, 0, 1, 100, 3, 0, 1, 0, 0, 0];
    h.feed(callsLine(0, 5, [read(1, 10), read(1, 20), read(1, 30), read(1, 40), read(1, 50)]));
    // END: cpu 0 holds 2 staged calls (slot 2 is stale) and counted 5; cpu 1 holds none but counted 3 we never saw.
    h.feed(
      mapLine('sn', '"0": 2, "1": 0'),
      mapLine('sg', `"0,0": [${read(1, 60).join(',')}], "0,1": [${read(1, 70).join(',')}], "0,2": [${read(9, 1).join(',')}], "1,0": [${read(9, 2).join(',')}]`),
      mapLine('cum', '"0": 5, "1": 3'),
      printf('Q'),
    );
    assert.equal(events(h.records).length, 5, 'nothing before the end of the output');
    h.decoder.end();
    assert.deepEqual(events(h.records).map((event) => event.timestamp), [10, 20, 30, 40, 50, 60, 70].map((time) => isoMicros(BigInt(time) + OFFSET)));
    assert.deepEqual(metas(h.records, 'lost').map((r) => r.count), [3]);
    assert.equal(h.decoder.delivered, 7);
    assert.equal(h.decoder.lost, 3);
  });

  it('bpftrace’s own lost-record reports are counted apart (calls among them show up as gaps)', () => {
    const h = harness();
    h.feed('{"type": "lost_events", "data": {"events": 7}}');
    assert.equal(h.decoder.droppedRecords, 7);
    assert.deepEqual(metas(h.records, 'lost'), []);
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
      printf('M'),
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
