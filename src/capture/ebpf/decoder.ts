/**
 * Turns bpftrace's output (see program.ts for the protocol) into records:
 * a generation's maps are collected until its `F` line, then each call in
 * `@evN` becomes a SyscallEvent (strings, socket address and execve's argv
 * joined by thread and entry time), ordered by entry time; `@nN` minus the
 * calls received is the number lost. In summary mode each `S` line turns the
 * cumulative stats maps into one `{type: 'stats'}` record. No I/O here.
 */
import { isStatsRecord, type LostRecord, type MetaRecord, type StatsRecord, type SyscallEvent, type TraceRecord } from '../../event.js';
import { canonicalName, categoryOf } from '../../kb/aliases.js';
import { normalizeEvent } from '../../operators/normalize.js';
import { formatArgs, formatReturn, type RawCall, type RawSockaddr } from './format.js';
import { PERCENTILE_RESOLUTION, bucketValue, percentileOf } from './histogram.js';
import type { BpfValue, BpftraceMessage, CallEntry } from './output.js';
import { ARGV_MORE_SLOT, MAX_STRINGS } from './program.js';
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
  /**
   * A generation was printed (`flippedAt`: kernel monotonic ns of the flip; undefined when the
   * kernel only reminds us it waits). The kernel reuses its maps only once this is acknowledged.
   */
  flushed(generation: number, flippedAt: bigint | undefined): void;
  ready(): void;
  targetExited(pid: number): void;
  /** The final flush (END) is complete. */
  done(): void;
}

/** One stats snapshot, as the kernel maps hold it (cumulative). */
interface KernelStats {
  count: number;
  total: number;
  buckets: Map<number, number>;
  errors: Map<number, number>;
}

type StringKey = string; // "tid,time,slot"

/** `2026-11-27T20:53:09.123456Z` from Unix nanoseconds. */
export function isoMicros(unixNs: bigint): string {
  const ms = unixNs / 1_000_000n;
  const micros = (unixNs / 1000n) % 1000n;
  return `${new Date(Number(ms)).toISOString().slice(0, 23)}${micros.toString().padStart(3, '0')}Z`;
}

const asString = (value: BpfValue | undefined): string => (typeof value === 'string' ? value : '0');
const asNumber = (value: BpfValue | undefined): number => Number(asString(value));
const asBigInt = (value: BpfValue | undefined): bigint => {
  const text = asString(value);
  return /^-?\d+$/.test(text) ? BigInt(text) : 0n;
};

export class BpftraceDecoder {
  private batch: { ev: CallEntry[]; n: number; sv: Map<StringKey, Buffer>; sa: Map<string, BpfValue[]>; xv: Array<[string, Buffer]> } = this.emptyBatch();
  /** Strings that arrived a generation before their call (the probes ran on both sides of a flip). */
  private carriedStrings = new Map<StringKey, Buffer>();
  private carriedSockaddrs = new Map<string, BpfValue[]>();
  /** execve strings by thread: [entry time, slot → bytes], kept until their call shows up. */
  private execStrings = new Map<number, Array<{ time: bigint; slots: Map<number, Buffer>; age: number }>>();
  /** Calls held back one generation because their strings had not arrived yet. */
  private deferredRaw: CallEntry[] = [];
  /** ISO text of the last millisecond formatted (most calls of a generation share a few). */
  private isoCache = { ms: -1n, text: '' };
  private lastSeen = 0;
  private lastStats = '';
  /** END ran: whatever bpftrace prints after it is stale. */
  private finished = false;
  private readonly stats = { st: new Map<number, { count: number; total: number }>(), hi: new Map<number, Map<number, number>>(), er: new Map<number, Map<number, number>>() };
  /** Events delivered and lost so far. */
  delivered = 0;
  lost = 0;

  constructor(
    private readonly options: DecoderOptions,
    private readonly sink: DecoderSink,
  ) {}

  private emptyBatch() {
    return { ev: [] as CallEntry[], n: 0, sv: new Map<StringKey, Buffer>(), sa: new Map<string, BpfValue[]>(), xv: [] as Array<[string, Buffer]> };
  }

  push(message: BpftraceMessage): void {
    if (this.finished) return;
    switch (message.type) {
      case 'calls':
        for (const call of message.calls) this.batch.ev.push(call);
        return;
      case 'map':
        this.onMap(message.name, message.entries);
        return;
      case 'printf':
        this.onPrintf(message.text.trim());
        return;
      case 'lost':
        // bpftrace's own output buffer overflowed (its protocol lines, not calls): count what it says.
        if (message.count > 0) this.reportLost(message.count, 'tracer-output');
        return;
      default:
        return;
    }
  }

  private onMap(name: string, entries: Array<[string, BpfValue]>): void {
    const base = name.replace(/[01]$/, '');
    switch (base) {
      case 'n':
        this.batch.n += asNumber(entries[0]?.[1]);
        return;
      case 'sv':
        for (const [key, value] of entries) if (Buffer.isBuffer(value)) this.batch.sv.set(key, value);
        return;
      case 'sa':
        for (const [key, value] of entries) if (Array.isArray(value)) this.batch.sa.set(key, value);
        return;
      case 'xv':
        for (const [key, value] of entries) if (Buffer.isBuffer(value)) this.batch.xv.push([key, value]);
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
          let inner = this.stats[base].get(id);
          if (inner === undefined) this.stats[base].set(id, (inner = new Map()));
          inner.set(sub, asNumber(value));
        }
        return;
      default:
        return;
    }
  }

  private onPrintf(text: string): void {
    if (this.finished) return;
    const [word, arg, time] = text.split(' ');
    switch (word) {
      case 'R':
        this.sink.ready();
        return;
      case 'F': {
        this.finishBatch();
        const generation = Number(arg);
        if (generation > this.lastSeen) this.lastSeen = generation;
        this.sink.flushed(generation, BigInt(/^\d+$/.test(time ?? '') ? time! : '0'));
        return;
      }
      case 'W':
        // The kernel still waits for this generation's acknowledgement: ours was not seen (its probe is
        // skipped when another BPF program runs on that CPU), or the F line was dropped. Acknowledging
        // again is harmless; acknowledging a generation we have not seen printed would not be, but the
        // W lines of a generation come after its F in bpftrace's output.
        if (Number(arg) >= this.lastSeen) {
          this.lastSeen = Number(arg);
          this.sink.flushed(this.lastSeen, undefined);
        }
        return;
      case 'S': {
        // bpftrace may hand over queued snapshots late, in a burst: an unchanged one says nothing new.
        const record = this.statsRecord();
        const fingerprint = JSON.stringify(record.stats);
        if (fingerprint !== this.lastStats) this.sink.record(record);
        this.lastStats = fingerprint;
        return;
      }
      case 'X':
        this.sink.targetExited(Number(arg));
        return;
      case 'Q':
        this.flushDeferred();
        this.finished = true;
        this.sink.done();
        return;
      default:
        return;
    }
  }

  /** Everything still held back (end of the trace). */
  flushDeferred(): void {
    const events = this.deferredRaw.splice(0).map((call) => this.buildEvent(call, this.carriedStrings, this.carriedSockaddrs));
    for (const event of events.sort(byTime)) this.sink.record(event);
  }

  private finishBatch(): void {
    const batch = this.batch;
    this.batch = this.emptyBatch();
    const received = batch.ev.length;
    this.delivered += received;
    if (batch.n > received) this.reportLost(batch.n - received, 'kernel-map-full');

    // execve strings: grouped per thread and entry time, matched to calls below.
    for (const [key, bytes] of batch.xv) {
      const [tid, time, slot] = key.split(',');
      const list = this.execStrings.get(Number(tid)) ?? [];
      const at = BigInt(time ?? '0');
      let group = list.find((candidate) => candidate.time === at);
      if (group === undefined) list.push((group = { time: at, slots: new Map(), age: 0 }));
      group.slots.set(Number(slot), bytes);
      this.execStrings.set(Number(tid), list);
    }

    const strings = new Map([...this.carriedStrings, ...batch.sv]);
    const sockaddrs = new Map([...this.carriedSockaddrs, ...batch.sa]);
    const used = new Set<string>();
    const ready: SyscallEvent[] = [];
    for (const call of this.deferredRaw.splice(0)) ready.push(this.buildEvent(call, strings, sockaddrs, used));
    const haveStrings = strings.size > 0 || sockaddrs.size > 0;
    for (const call of batch.ev) {
      if (this.expectsStrings(call.values) && !(haveStrings && hasStrings(strings, sockaddrs, `${call.tid},${call.time}`))) {
        this.deferredRaw.push(call);
        continue;
      }
      ready.push(this.buildEvent(call, strings, sockaddrs, used));
    }
    // Strings not claimed wait one generation for their call, then go.
    this.carriedStrings = new Map([...batch.sv].filter(([key]) => !used.has(key)));
    this.carriedSockaddrs = new Map([...batch.sa].filter(([key]) => !used.has(key)));
    for (const [tid, list] of this.execStrings) {
      const kept = list.filter((group) => ++group.age <= 3);
      if (kept.length === 0) this.execStrings.delete(tid);
      else this.execStrings.set(tid, kept);
    }
    for (const event of ready.sort(byTime)) this.sink.record(event);
  }

  private now(): bigint {
    return this.options.now?.() ?? BigInt(Date.now()) * 1_000_000n;
  }

  private reportLost(count: number, source: string): void {
    this.lost += count;
    const record: LostRecord = { type: 'lost', count, timestamp: isoMicros(this.now()), source };
    this.sink.record(record);
  }

  /** A call whose string or socket-address argument is set but has not been read out yet. */
  private expectsStrings(values: string[]): boolean {
    const slots = this.stringSlots(Number(values[0]));
    return slots.some((index) => values[4 + index] !== '0');
  }

  /** Argument indexes the kernel copies strings or a socket address for, per syscall number (cached). */
  private readonly slotCache = new Map<number, number[]>();
  private stringSlots(id: number): number[] {
    let slots = this.slotCache.get(id);
    if (slots === undefined) {
      const name = this.options.table.nameOf(id);
      const signature = name === 'execve' || name === 'execveat' ? undefined : this.options.signatures.get(name);
      slots = signature?.args.flatMap((spec, index) => (spec.kind === 'path' || spec.kind === 'string' || spec.kind === 'sockaddr' ? [index] : [])).slice(0, MAX_STRINGS) ?? [];
      this.slotCache.set(id, slots);
    }
    return slots;
  }

  private buildEvent(entry: CallEntry, strings: Map<StringKey, Buffer>, sockaddrs: Map<string, BpfValue[]>, used = new Set<string>()): SyscallEvent {
    const { table, signatures, arch, stringLimit, strlen } = this.options;
    const { tid, values } = entry;
    const name = table.nameOf(Number(values[0]));
    const unreturned = values[3] === '1';
    const call: { args: string[]; strings: Map<number, { bytes: Buffer; truncated: boolean }>; sockaddr?: RawCall['sockaddr']; argv?: RawCall['argv'] } = {
      args: values.slice(4, 10),
      strings: new Map(),
    };
    const prefix = `${tid},${entry.time}`;
    if (strings.size > 0) {
      for (const slot of this.stringSlots(Number(values[0]))) {
        const key = `${prefix},${slot}`;
        const bytes = strings.get(key);
        if (bytes === undefined) continue;
        used.add(key);
        call.strings.set(slot, { bytes, truncated: bytes.length >= strlen - 1 });
      }
    }
    const signature = signatures.get(name);
    if (sockaddrs.size > 0 || strings.size > 0) {
      const sockaddrIndex = signature?.args.findIndex((spec) => spec.kind === 'sockaddr') ?? -1;
      if (sockaddrIndex >= 0) {
        const words = sockaddrs.get(prefix);
        const unixPath = call.strings.get(sockaddrIndex)?.bytes;
        if (words !== undefined) used.add(prefix);
        const raw: RawSockaddr | undefined =
          words === undefined
            ? undefined
            : { family: asNumber(words[0]), port: asNumber(words[1]), word4: asBigInt(words[2]), addrHigh: asBigInt(words[3]), addrLow: asBigInt(words[4]), scopeId: asBigInt(words[5]) };
        if (raw !== undefined || unixPath !== undefined) call.sockaddr = { ...(raw ? { raw } : {}), ...(unixPath ? { unixPath } : {}) };
      }
    }
    if (name === 'execve' || name === 'execveat') this.attachExecStrings(tid, BigInt(entry.time), call, signature);
    const result = unreturned ? { ret: '?', error: '' } : formatReturn(name, values[1] ?? '0');
    const event: SyscallEvent = {
      pid: tid,
      name,
      args: formatArgs(signature, call, arch, stringLimit),
      ret: result.ret,
      latency_ns: unreturned ? 0 : Number(values[2]),
      error: result.error,
      timestamp: this.iso(BigInt(entry.time) + this.options.clockOffsetNs),
    };
    return this.options.normalize ? normalizeEvent(event) : event;
  }

  private iso(unixNs: bigint): string {
    const ms = unixNs / 1_000_000n;
    if (ms !== this.isoCache.ms) this.isoCache = { ms, text: new Date(Number(ms)).toISOString().slice(0, 23) };
    return `${this.isoCache.text}${((unixNs / 1000n) % 1000n).toString().padStart(3, '0')}Z`;
  }

  /** execve's filename and argv, read at its entry by their own probe: the group closest in time (< 1 ms). */
  private attachExecStrings(tid: number, time: bigint, call: { strings: Map<number, { bytes: Buffer; truncated: boolean }>; argv?: RawCall['argv'] }, signature: Signature | undefined): void {
    const list = this.execStrings.get(tid);
    if (list === undefined || list.length === 0) return;
    let best: (typeof list)[number] | undefined;
    for (const group of list) {
      const distance = group.time > time ? group.time - time : time - group.time;
      if (distance < 1_000_000n && (best === undefined || distance < (best.time > time ? best.time - time : time - best.time))) best = group;
    }
    if (best === undefined) return;
    list.splice(list.indexOf(best), 1);
    const filenameIndex = signature?.args.findIndex((spec) => spec.name === 'filename') ?? 0;
    const filename = best.slots.get(0);
    if (filename !== undefined) call.strings.set(filenameIndex, { bytes: filename, truncated: filename.length >= this.options.strlen - 1 });
    const items: Buffer[] = [];
    for (let slot = 1; best.slots.has(slot); slot++) items.push(best.slots.get(slot)!);
    call.argv = { items, more: best.slots.has(ARGV_MORE_SLOT) };
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

function hasStrings(strings: Map<string, unknown>, sockaddrs: Map<string, unknown>, prefix: string): boolean {
  if (sockaddrs.has(prefix)) return true;
  for (let slot = 0; slot < 6; slot++) if (strings.has(`${prefix},${slot}`)) return true;
  return false;
}

function byTime(a: SyscallEvent, b: SyscallEvent): number {
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.pid - b.pid;
}
