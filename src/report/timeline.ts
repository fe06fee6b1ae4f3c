/**
 * Calls over time for the report, in bounded memory: a fixed number of
 * buckets whose width doubles (merging neighbours) whenever the trace spans
 * more time than they cover. Buckets are aligned to multiples of their width
 * since the epoch, so merging is exact and out-of-order events still land in
 * the right bucket.
 */
import { isMetaRecord, type SyscallEvent, type TraceRecord } from '../event.js';
import { canonicalName } from '../kb/aliases.js';
import { isShortWrite } from '../kb/triage.js';
import { normalizeEvent } from '../operators/normalize.js';
import { RingBuffer, TraceSession, type SessionOptions } from '../session.js';

export interface TimeBucket {
  /** Start of the bucket, ms since the epoch. */
  startMs: number;
  calls: number;
  errors: number;
}

export class CallTimeline {
  /** Bucket width in ms; starts at 1 ms and doubles as the trace gets longer. */
  widthMs = 1;
  private base = 0; // bucket index (timestamp / widthMs) of calls[0]
  private calls: number[] = [];
  private errors: number[] = [];
  /** Events whose timestamp could not be read (counted, not placed). */
  untimed = 0;
  minMs = Number.POSITIVE_INFINITY;
  maxMs = Number.NEGATIVE_INFINITY;

  constructor(readonly capacity = 120) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('capacity must be an integer >= 2');
  }

  /** Counts one call at `timestampMs` (ms since the epoch, fractions allowed). */
  add(timestampMs: number, failed: boolean): void {
    if (!Number.isFinite(timestampMs)) {
      this.untimed++;
      return;
    }
    if (timestampMs < this.minMs) this.minMs = timestampMs;
    if (timestampMs > this.maxMs) this.maxMs = timestampMs;
    let index = Math.floor(timestampMs / this.widthMs);
    if (this.calls.length === 0) {
      this.base = index;
      this.calls.push(0);
      this.errors.push(0);
    }
    while (Math.max(index, this.base + this.calls.length - 1) - Math.min(index, this.base) + 1 > this.capacity) {
      this.coarsen();
      index = Math.floor(timestampMs / this.widthMs);
    }
    if (index < this.base) {
      const missing = this.base - index;
      this.calls.unshift(...new Array<number>(missing).fill(0));
      this.errors.unshift(...new Array<number>(missing).fill(0));
      this.base = index;
    }
    while (index >= this.base + this.calls.length) {
      this.calls.push(0);
      this.errors.push(0);
    }
    const slot = index - this.base;
    this.calls[slot]!++;
    if (failed) this.errors[slot]!++;
  }

  /** Doubles the bucket width, summing each aligned pair of buckets. */
  private coarsen(): void {
    const base = Math.floor(this.base / 2);
    const calls: number[] = [];
    const errors: number[] = [];
    for (let i = 0; i < this.calls.length; i++) {
      const slot = Math.floor((this.base + i) / 2) - base;
      calls[slot] = (calls[slot] ?? 0) + this.calls[i]!;
      errors[slot] = (errors[slot] ?? 0) + this.errors[i]!;
    }
    this.base = base;
    this.calls = calls;
    this.errors = errors;
    this.widthMs *= 2;
  }

  /** Buckets from the first to the last call, oldest first (empty buckets included). */
  buckets(): TimeBucket[] {
    return this.calls.map((calls, i) => ({ startMs: (this.base + i) * this.widthMs, calls, errors: this.errors[i] ?? 0 }));
  }
}

/**
 * A TraceSession that also keeps what only the report shows: calls over
 * time, short-write counts per syscall (triage evidence), and the recent
 * failing calls per syscall in a form read without a stats snapshot per
 * syscall (TraceSession.detail() computes one per call). A drop-in
 * replacement wherever a session may end up in a report (`top --report`,
 * `serve --report`).
 */
export class ReportSession extends TraceSession {
  readonly timeline: CallTimeline;
  /** Canonical name → successful writes that moved fewer bytes than asked. */
  readonly shortWrites = new Map<string, number>();
  private readonly failures = new Map<string, RingBuffer<SyscallEvent>>();
  private readonly failureSamples: number;

  constructor(options: SessionOptions & { timeBuckets?: number } = {}) {
    super(options);
    this.timeline = new CallTimeline(options.timeBuckets ?? 120);
    this.failureSamples = options.errorSamples ?? 20;
  }

  override add(record: TraceRecord): void {
    super.add(record);
    if (isMetaRecord(record)) return;
    this.timeline.add(Date.parse(record.timestamp), record.error !== '');
    if (record.error !== '') {
      const event = normalizeEvent(record);
      let samples = this.failures.get(event.name);
      if (samples === undefined) this.failures.set(event.name, (samples = new RingBuffer(this.failureSamples)));
      samples.push(event);
    } else if (isShortWrite(record)) {
      const name = canonicalName(record.name);
      this.shortWrites.set(name, (this.shortWrites.get(name) ?? 0) + 1);
    }
  }

  /** The last failing calls of a syscall (aliases resolve), oldest first. */
  recentErrors(name: string): SyscallEvent[] {
    return this.failures.get(canonicalName(name))?.toArray() ?? [];
  }
}
