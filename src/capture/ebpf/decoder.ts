/**
 * Turns bpftrace's output (see program.ts for the protocol) into records:
 * each call of an `E` line becomes a SyscallEvent, joined with the strings,
 * socket address and execve argv printed before it (by thread and entry
 * time); a gap in a CPU's count of printed calls is the number lost to a full
 * perf buffer. In summary mode each `M` line turns the cumulative stats maps
 * into one `{type: 'stats'}` record. No I/O here.
 */
import { isStatsRecord, type LostRecord, type MetaRecord, type StatsRecord, type SyscallEvent, type TraceRecord } from '../../event.js';
import { canonicalName, categoryOf } from '../../kb/aliases.js';
import { formatArgs, formatReturn, type RawCall, type RawSockaddr } from './format.js';
import { PERCENTILE_RESOLUTION, bucketValue, percentileOf } from './histogram.js';
import type { BpfValue, BpftraceMessage } from './output.js';
import { ARGV_MORE_SLOT, CALL_FIELDS, CALLS_PER_RECORD, MAX_STRINGS } from './program.js';
import type { Arch, Signature, SyscallTable } from './syscalls.js';

export interface DecoderOptions {
  table: SyscallTable;
  signatures: ReadonlyMap<string, Signature>;
  arch: Arch;
  stringLimit: number;
  normalize: boolean;
  /** Unix time minus the kernel's monotonic clock, in ns (bpftrace's `nsecs` is CLOCK_MONOTONIC). */
  clockOffsetNs: bigint;
  /** Bytes the kernel reads per string (BPFTRACE_STRLEN): a string that fills it may have been cut. */
  strlen: number;
  /** Unix time in ns, for the timestamps of lost and stats records (default: the clock). */
  now?: () => bigint;
}

export interface DecoderSink {
  record(record: TraceRecord): void;
  /** We read everything a CPU printed up to its count `counted` (an `E` record, or a tick `P` at kernel time `time`). */
  progress(cpu: number, counted: number, time?: bigint): void;
  ready(): void;
  targetExited(pid: number): void;
  /** END ran. */
  done(): void;
}

/** One stats snapshot, as the kernel maps hold it (cumulative). */
interface KernelStats {
  count: number;
  total: number;
  buckets: Map<number, number>;
  errors: Map<number, number>;
}

interface SyscallInfo {
  raw: string;
  /** Canonical when normalising. */
  name: string;
  category: SyscallEvent['category'];
  exec: boolean;
  signature: Signature | undefined;
  slots: number[];
  sockaddrIndex: number;
}

/** A call as printed: numbers as decimal text (thread, entry time, id, ret, latency, a0…a5). */
type RawFields = string[];

/** Strings and socket addresses waiting for their call: printed just before it, so few at a time. */
const MAX_PENDING = 4096;
/** execve strings are matched to the call entered within this many ns of their own probe. */
const EXEC_MATCH_NS = 1_000_000n;
/** Strings whose call has not come this long (kernel time) after a tick are dropped. */
const STALE_NS = 2_000_000_000n;

/** `2026-11-27T20:53:09.123456Z` from Unix nanoseconds. */
export function isoMicros(unixNs: bigint, millisecond?: { ms: bigint; text: string }): string {
  const ms = unixNs / 1_000_000n;
  // `millisecond` caches the text of the last millisecond formatted (consecutive calls share a few).
  let text: string;
  if (millisecond?.ms === ms) text = millisecond.text;
  else {
    text = new Date(Number(ms)).toISOString().slice(0, 23);
    if (millisecond) Object.assign(millisecond, { ms, text });
  }
  return `${text}${((unixNs / 1000n) % 1000n).toString().padStart(3, '0')}Z`;
}

const asString = (value: BpfValue | undefined): string => (typeof value === 'string' ? value : '0');
const asNumber = (value: BpfValue | undefined): number => Number(asString(value));
const asBigInt = (value: string | undefined): bigint => (value !== undefined && /^-?\d+$/.test(value) ? BigInt(value) : 0n);

/** Splits `text` at its first `count` spaces: the fields, then the rest (a string that may hold spaces). */
function splitHead(text: string, count: number): [string[], string] {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const space = text.indexOf(' ', at);
    if (space < 0) return [[...fields, text.slice(at)], ''];
    fields.push(text.slice(at, space));
    at = space + 1;
  }
  return [fields, text.slice(at)];
}

export class BpftraceDecoder {
  /** Per CPU: the calls it printed as far as we have seen (`@cum`). */
  private readonly printedByCpu = new Map<number, number>();
  /** "tid,time,n" → bytes of the call's n-th string argument; "tid,time" → socket address words. */
  private readonly strings = new Map<string, Buffer>();
  private readonly sockaddrs = new Map<string, string[]>();
  /** execve strings by thread: [entry time of their probe, slot → bytes], kept until their call shows up. */
  private readonly execStrings = new Map<number, Array<{ time: bigint; slots: Map<number, Buffer> }>>();
  /** Calls whose strings had not arrived (printed on another CPU): retried at the next tick. */
  private deferred: RawFields[] = [];
  private readonly isoCache = { ms: -1n, text: '' };
  private lastStats = '';
  /** What END printed: each CPU's staged calls (@sn, @sg) and count (@cum). */
  private readonly final = { staged: new Map<number, number>(), slots: new Map<string, string[]>(), counted: new Map<number, number>() };
  private readonly stats = { st: new Map<number, { count: number; total: number }>(), hi: new Map<number, Map<number, number>>(), er: new Map<number, Map<number, number>>() };
  /** Events delivered and lost so far; records of bpftrace's output it dropped (strings, ticks, calls). */
  delivered = 0;
  lost = 0;
  droppedRecords = 0;

  constructor(
    private readonly options: DecoderOptions,
    private readonly sink: DecoderSink,
  ) {}

  push(message: BpftraceMessage): void {
    switch (message.type) {
      case 'map':
        this.onMap(message.name, message.entries);
        return;
      case 'printf':
        this.onPrintf(message.text.endsWith('\n') ? message.text.slice(0, -1) : message.text);
        return;
      case 'lost':
        // Records the perf buffer had no room for. Calls among them show up exactly as gaps in
        // their CPU's count; this number also covers strings and ticks.
        this.droppedRecords += message.count;
        return;
      default:
        return;
    }
  }

  private onMap(name: string, entries: Array<[string, BpfValue]>): void {
    switch (name) {
      case 'sn':
      case 'cum':
        for (const [key, value] of entries) this.final[name === 'sn' ? 'staged' : 'counted'].set(Number(key), asNumber(value));
        return;
      case 'sg':
        for (const [key, value] of entries) if (Array.isArray(value)) this.final.slots.set(key, value.map((field) => asString(field)));
        return;
      case 'st':
        for (const [key, value] of entries) {
          if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !Array.isArray(value)) {
            this.stats.st.set(Number(key), { count: asNumber(value.count), total: asNumber(value.total) });
          }
        }
        return;
      case 'hi':
      case 'er':
        for (const [key, value] of entries) {
          const [id, sub] = key.split(',').map(Number) as [number, number];
          let inner = this.stats[name].get(id);
          if (inner === undefined) this.stats[name].set(id, (inner = new Map()));
          inner.set(sub, asNumber(value));
        }
        return;
      default:
        return;
    }
  }

  private onPrintf(text: string): void {
    switch (text.charAt(0)) {
      case 'E':
        this.onCalls(text.split(' '));
        return;
      case 'P': {
        const [, cpu, printed, time] = text.split(' ');
        this.countPrinted(Number(cpu), Number(printed), 0);
        this.onTick(asBigInt(time));
        this.sink.progress(Number(cpu), Number(printed), asBigInt(time));
        return;
      }
      case 'S':
      case 'T': {
        // A call's first (S) or second (T) string argument.
        const [[, tid, time], rest] = splitHead(text, 3);
        this.remember(this.strings, `${tid},${time},${text.charAt(0) === 'S' ? 0 : 1}`, Buffer.from(rest, 'latin1'));
        return;
      }
      case 'A': {
        const [, tid, time, ...words] = text.split(' ');
        this.remember(this.sockaddrs, `${tid},${time}`, words);
        return;
      }
      case 'V': {
        const [[, tid, time, slot], rest] = splitHead(text, 4);
        const list = this.execStrings.get(Number(tid)) ?? [];
        const at = asBigInt(time);
        let group = list.find((candidate) => candidate.time === at);
        if (group === undefined) list.push((group = { time: at, slots: new Map() }));
        group.slots.set(Number(slot), Buffer.from(rest, 'latin1'));
        this.execStrings.set(Number(tid), list);
        return;
      }
      case 'M': {
        // bpftrace may hand over queued snapshots late, in a burst: an unchanged one says nothing new.
        const record = this.statsRecord();
        const fingerprint = JSON.stringify(record.stats);
        if (fingerprint !== this.lastStats) this.sink.record(record);
        this.lastStats = fingerprint;
        return;
      }
      case 'R':
        this.sink.ready();
        return;
      case 'X':
        this.sink.targetExited(Number(text.slice(2)));
        return;
      case 'Q':
        this.sink.done();
        return;
      default:
        return;
    }
  }

  /** `E <cpu> <cum> <n>` and CALLS_PER_RECORD calls, the first n of them new. */
  private onCalls(words: string[]): void {
    const n = Math.min(Number(words[3]), CALLS_PER_RECORD);
    this.countPrinted(Number(words[1]), Number(words[2]), n);
    this.sink.progress(Number(words[1]), Number(words[2]));
    for (let i = 0; i < n; i++) {
      const fields = words.slice(4 + i * CALL_FIELDS, 4 + (i + 1) * CALL_FIELDS);
      if (fields.length !== CALL_FIELDS) return;
      this.delivered++;
      if (this.expectsStrings(fields) && !this.hasStrings(fields)) this.deferred.push(fields);
      else this.sink.record(this.buildEvent(fields));
    }
  }

  /** A CPU has printed `printed` calls so far, `arriving` of them in this record: a gap was dropped. */
  private countPrinted(cpu: number, printed: number, arriving: number): void {
    const before = this.printedByCpu.get(cpu) ?? 0;
    if (printed - arriving > before) this.reportLost(printed - arriving - before, 'reader-behind');
    if (printed > before) this.printedByCpu.set(cpu, printed);
  }

  /** A tick: calls still waiting for strings go as they are; strings nobody claimed for long are dropped. */
  private onTick(time: bigint): void {
    this.flushDeferred();
    for (const [tid, list] of this.execStrings) {
      const kept = list.filter((group) => group.time + STALE_NS > time);
      if (kept.length === 0) this.execStrings.delete(tid);
      else this.execStrings.set(tid, kept);
    }
    for (const map of [this.strings, this.sockaddrs] as Array<Map<string, unknown>>) {
      for (const key of map.keys()) {
        if (asBigInt(key.split(',')[1]) + STALE_NS > time) break; // in printing order
        map.delete(key);
      }
    }
  }

  private remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.set(key, value);
    if (map.size > MAX_PENDING) map.delete(map.keys().next().value!);
  }

  /**
   * The end of bpftrace's output: the calls END found staged, and — from each CPU's final count — the
   * calls printed but never read; then whatever still waited for its strings.
   */
  end(): void {
    for (const [cpu, staged] of this.final.staged) {
      for (let slot = 0; slot < Math.min(staged, CALLS_PER_RECORD); slot++) {
        const fields = this.final.slots.get(`${cpu},${slot}`);
        if (fields?.length !== CALL_FIELDS) continue;
        this.delivered++;
        this.sink.record(this.buildEvent(fields));
      }
    }
    for (const [cpu, counted] of this.final.counted) this.countPrinted(cpu, counted, 0);
    this.final.staged.clear();
    this.final.counted.clear();
    this.flushDeferred();
  }

  /** Everything still held back (a tick, or the end of the trace). */
  flushDeferred(): void {
    for (const fields of this.deferred.splice(0)) this.sink.record(this.buildEvent(fields));
  }

  private now(): bigint {
    return this.options.now?.() ?? BigInt(Date.now()) * 1_000_000n;
  }

  private reportLost(count: number, source: string): void {
    this.lost += count;
    const record: LostRecord = { type: 'lost', count, timestamp: isoMicros(this.now()), source };
    this.sink.record(record);
  }

  /** A call whose string or socket-address argument is set (its strings were printed before it). */
  private expectsStrings(fields: RawFields): boolean {
    const info = this.infoOf(Number(fields[2]));
    if (info.exec) return fields[5] !== '0';
    for (const index of info.slots) if (fields[5 + index] !== '0') return true;
    return false;
  }

  private hasStrings(fields: RawFields): boolean {
    const [tid, time, id] = fields as [string, string, string];
    if (this.infoOf(Number(id)).exec) return this.execGroup(Number(tid), BigInt(time), false) !== undefined;
    const prefix = `${tid},${time}`;
    return this.sockaddrs.has(prefix) || this.strings.has(`${prefix},0`) || this.strings.has(`${prefix},1`);
  }

  /** What the decoder needs to know of a syscall number, looked up once. */
  private readonly infoCache = new Map<number, SyscallInfo>();
  private infoOf(id: number): SyscallInfo {
    let info = this.infoCache.get(id);
    if (info === undefined) {
      const raw = this.options.table.nameOf(id);
      const exec = raw === 'execve' || raw === 'execveat';
      const signature = this.options.signatures.get(raw);
      // Argument indexes the kernel copies strings or a socket address for (execve's are read apart).
      const slots = exec ? [] : (signature?.args.flatMap((spec, index) => (spec.kind === 'path' || spec.kind === 'string' || spec.kind === 'sockaddr' ? [index] : [])).slice(0, MAX_STRINGS) ?? []);
      const name = this.options.normalize ? canonicalName(raw) : raw;
      info = { raw, name, category: categoryOf(name), exec, signature, slots, sockaddrIndex: signature?.args.findIndex((spec) => spec.kind === 'sockaddr') ?? -1 };
      this.infoCache.set(id, info);
    }
    return info;
  }

  private buildEvent(fields: RawFields): SyscallEvent {
    const { arch, stringLimit, strlen } = this.options;
    const [tidText, time, idText, retText, latText] = fields as [string, string, string, string, string];
    const tid = Number(tidText);
    const info = this.infoOf(Number(idText));
    const unreturned = latText === '-1';
    const call: { args: string[]; strings: Map<number, { bytes: Buffer; truncated: boolean }>; sockaddr?: RawCall['sockaddr']; argv?: RawCall['argv'] } = {
      args: fields.slice(5, 11).map(unsigned),
      strings: new Map(),
    };
    const prefix = `${tidText},${time}`;
    if (this.strings.size > 0) {
      for (let n = 0; n < info.slots.length; n++) {
        const key = `${prefix},${n}`;
        const bytes = this.strings.get(key);
        if (bytes === undefined) continue;
        this.strings.delete(key);
        call.strings.set(info.slots[n]!, { bytes, truncated: bytes.length >= strlen - 1 });
      }
    }
    if (info.sockaddrIndex >= 0) {
      const words = this.sockaddrs.get(prefix);
      const unixPath = call.strings.get(info.sockaddrIndex)?.bytes;
      if (words !== undefined) this.sockaddrs.delete(prefix);
      const raw: RawSockaddr | undefined =
        words === undefined
          ? undefined
          : { family: Number(words[0]), port: Number(words[1]), word4: asBigInt(words[2]), addrHigh: asBigInt(unsigned(words[3] ?? '0')), addrLow: asBigInt(unsigned(words[4] ?? '0')), scopeId: asBigInt(words[5]) };
      if (raw !== undefined || unixPath !== undefined) call.sockaddr = { ...(raw ? { raw } : {}), ...(unixPath ? { unixPath } : {}) };
    }
    if (info.exec) this.attachExecStrings(tid, BigInt(time), call, info.signature);
    const result = unreturned ? { ret: '?', error: '' } : formatReturn(info.raw, retText);
    // Built normalised (when asked) in normalizeEvent's field order, rather than copied by it.
    const event: SyscallEvent = {
      pid: tid,
      name: info.name,
      args: formatArgs(info.signature, call, arch, stringLimit),
      ret: result.ret,
      latency_ns: unreturned ? 0 : Number(latText),
      error: result.error,
      timestamp: isoMicros(BigInt(time) + this.options.clockOffsetNs, this.isoCache),
    };
    if (this.options.normalize) {
      event.category = info.category;
      if (info.name !== info.raw) event.raw_name = info.raw;
    }
    return event;
  }

  /** The execve string group of a thread closest in time (< 1 ms) to the call's entry; `take` removes it. */
  private execGroup(tid: number, time: bigint, take: boolean): { time: bigint; slots: Map<number, Buffer> } | undefined {
    const list = this.execStrings.get(tid);
    if (list === undefined) return undefined;
    const distance = (group: { time: bigint }): bigint => (group.time > time ? group.time - time : time - group.time);
    let best: (typeof list)[number] | undefined;
    for (const group of list) if (distance(group) < EXEC_MATCH_NS && (best === undefined || distance(group) < distance(best))) best = group;
    if (best !== undefined && take) list.splice(list.indexOf(best), 1);
    return best;
  }

  /** execve's filename and argv, read at its entry by their own probe. */
  private attachExecStrings(tid: number, time: bigint, call: { strings: Map<number, { bytes: Buffer; truncated: boolean }>; argv?: RawCall['argv'] }, signature: Signature | undefined): void {
    const group = this.execGroup(tid, time, true);
    if (group === undefined) return;
    const filenameIndex = signature?.args.findIndex((spec) => spec.name === 'filename') ?? 0;
    const filename = group.slots.get(0);
    if (filename !== undefined) call.strings.set(filenameIndex, { bytes: filename, truncated: filename.length >= this.options.strlen - 1 });
    const items: Buffer[] = [];
    for (let slot = 1; group.slots.has(slot); slot++) items.push(group.slots.get(slot)!);
    call.argv = { items, more: group.slots.has(ARGV_MORE_SLOT) };
  }

  /** The cumulative stats maps as one stats meta record (canonical names merged when normalising). */
  statsRecord(): MetaRecord {
    const groups = new Map<string, KernelStats>();
    for (const [id, { count, total }] of this.stats.st) {
      const raw = this.options.table.nameOf(id);
      const name = this.options.normalize ? canonicalName(raw) : raw;
      let group = groups.get(name);
      if (group === undefined) groups.set(name, (group = { count: 0, total: 0, buckets: new Map(), errors: new Map() }));
      group.count += count;
      group.total += total;
      for (const [bucket, n] of this.stats.hi.get(id) ?? []) group.buckets.set(bucket, (group.buckets.get(bucket) ?? 0) + n);
      for (const [errno, n] of this.stats.er.get(id) ?? []) group.errors.set(errno, (group.errors.get(errno) ?? 0) + n);
    }
    const stats: StatsRecord[] = [];
    for (const [name, group] of groups) {
      // Min and max from the histogram: exact below 128 ns, else within its resolution.
      const sortedBuckets = [...group.buckets.keys()].sort((a, b) => a - b);
      const min = sortedBuckets.length > 0 ? bucketValue(sortedBuckets[0]!) : 0;
      const max = sortedBuckets.length > 0 ? bucketValue(sortedBuckets.at(-1)!) : 0;
      const breakdown = new Map<string, number>();
      for (const [errno, n] of group.errors) {
        const error = formatReturn(name, String(-errno)).error;
        breakdown.set(error, (breakdown.get(error) ?? 0) + n);
      }
      const errors = [...breakdown.values()].reduce((sum, n) => sum + n, 0);
      const record: StatsRecord = {
        name,
        category: categoryOf(name),
        count: group.count,
        errors,
        error_pct: group.count === 0 ? 0 : Math.round((errors / group.count) * 10000) / 100,
        total_ns: group.total,
        avg_ns: group.count === 0 ? 0 : Math.round(group.total / group.count),
        min_ns: group.count === 0 ? 0 : min,
        max_ns: max,
        p50_ns: percentileOf(group.buckets, 50, min, max),
        p95_ns: percentileOf(group.buckets, 95, min, max),
        p99_ns: percentileOf(group.buckets, 99, min, max),
        error_breakdown: Object.fromEntries([...breakdown].sort((a, b) => b[1] - a[1])),
      };
      if (isStatsRecord(record)) stats.push(record);
    }
    stats.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    return {
      type: 'stats',
      stats,
      timestamp: isoMicros(this.now()),
      source: 'ebpf',
      percentile_resolution: PERCENTILE_RESOLUTION,
    };
  }
}

/** A register printed as a signed 64-bit number (%lld), as the unsigned decimal the formatters expect. */
function unsigned(text: string): string {
  return text.startsWith('-') ? (BigInt(text) + (1n << 64n)).toString() : text;
}
