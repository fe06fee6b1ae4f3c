/**
 * The live side of `serve`: every record goes through `ingest()`, which feeds
 * the shared TraceSession and the Prometheus metrics and fans events out to
 * WebSocket clients in small batches, plus a stats message every second.
 * Memory stays bounded: a batch holds at most `maxEventsPerFlush` events
 * (the rest are counted as skipped), and a client that stops reading is
 * skipped for events and finally dropped.
 */
import { isMetaRecord, type Category, type StatsRecord, type SyscallEvent, type TraceRecord } from '../event.js';
import { RED_ERROR_PCT, YELLOW_AVG_NS } from '../kb/triage.js';
import { normalizeEvent } from '../operators/normalize.js';
import type { TraceSession } from '../session.js';
import { SyscallMetrics } from './metrics.js';

export interface HubOptions {
  /** How long events wait to be batched for WebSocket clients (ms). */
  flushMs?: number;
  /** Period of the stats message and of the events/s sample (ms). */
  statsIntervalMs?: number;
  /** Events per batch; beyond it they are counted as skipped (the dashboard shows at most 500 anyway). */
  maxEventsPerFlush?: number;
  /** A client with more than this many bytes unsent gets no event batches until it catches up. */
  slowClientBytes?: number;
  /** A client with more than this many bytes unsent is disconnected. */
  dropClientBytes?: number;
  /**
   * A stats snapshot may be reused for this long while events keep arriving
   * (0: always fresh). Under a firehose this keeps `/api/stats` cheap.
   */
  statsMaxAgeMs?: number;
  /** The clock (ms); injectable for tests. */
  now?: () => number;
  /** What is being traced, for the header (`stdin`, `pid 42`, `curl …`). */
  source?: string;
}

export interface StreamClient {
  send(text: string): void;
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
}

export interface Summary {
  source: string;
  events: number;
  errors: number;
  lost: number;
  pids: number;
  syscalls: number;
  events_per_s: number;
  elapsed_s: number;
  /** Share of calls per category, percent. */
  categories: Partial<Record<Category, number>>;
  input_ended: boolean;
}

export const THRESHOLDS = { red_error_pct: RED_ERROR_PCT, yellow_avg_ns: YELLOW_AVG_NS } as const;

export class LiveHub {
  readonly metrics: SyscallMetrics;
  private readonly clients = new Set<StreamClient>();
  private pending: SyscallEvent[] = [];
  private skipped = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private version = 0;
  private cache: { version: number; at: number; stats: StatsRecord[]; json: string } | undefined;
  private rate = 0;
  private readonly startedAt: number;
  private readonly options: Required<Omit<HubOptions, 'source'>> & { source: string };

  constructor(readonly session: TraceSession, options: HubOptions = {}) {
    this.options = {
      flushMs: options.flushMs ?? 100,
      statsIntervalMs: options.statsIntervalMs ?? 1000,
      maxEventsPerFlush: options.maxEventsPerFlush ?? 250,
      slowClientBytes: options.slowClientBytes ?? 1024 * 1024,
      dropClientBytes: options.dropClientBytes ?? 16 * 1024 * 1024,
      statsMaxAgeMs: options.statsMaxAgeMs ?? 0,
      now: options.now ?? Date.now,
      source: options.source ?? 'stdin',
    };
    this.startedAt = this.options.now();
    this.metrics = new SyscallMetrics({ lost: () => session.lost, ended: () => session.ended });
  }

  /** Starts the periodic stats message; `stop()` ends it. */
  start(): void {
    if (this.statsTimer !== undefined) return;
    this.session.sampleRate(this.options.now());
    this.statsTimer = setInterval(() => this.tick(), this.options.statsIntervalMs);
    this.statsTimer.unref();
  }

  stop(): void {
    clearInterval(this.statsTimer);
    clearTimeout(this.flushTimer);
    this.statsTimer = undefined;
    this.flushTimer = undefined;
  }

  /** One record from the input (events are normalised here, once, for every view). */
  ingest(record: TraceRecord): void {
    this.version++;
    if (isMetaRecord(record)) {
      this.session.add(record);
      return;
    }
    const event = normalizeEvent(record);
    this.session.add(event);
    this.metrics.observe(event);
    if (this.clients.size === 0) return;
    if (this.pending.length < this.options.maxEventsPerFlush) this.pending.push(event);
    else this.skipped++;
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(this.flush, this.options.flushMs);
      this.flushTimer.unref();
    }
  }

  /** The input ended: the values are final, clients are told (the server keeps serving). */
  end(): void {
    if (this.session.ended) return;
    this.session.ended = true;
    this.version++;
    this.flush();
    const stats = this.stats();
    this.broadcast(JSON.stringify({ type: 'ended', summary: this.summary(stats) }));
    this.broadcast(this.statsMessage(stats));
  }

  /** Registers a WebSocket client and greets it with the current state; returns the detach function. */
  attach(client: StreamClient): () => void {
    this.clients.add(client);
    const stats = this.stats();
    client.send(JSON.stringify({ type: 'hello', thresholds: THRESHOLDS, summary: this.summary(stats), stats }));
    return () => this.clients.delete(client);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Current stats records sorted by count (possibly reused, see `statsMaxAgeMs`). */
  stats(): StatsRecord[] {
    return this.cached().stats;
  }

  /** `stats()` as JSON text, serialised once per snapshot. */
  statsJson(): string {
    return this.cached().json;
  }

  summary(stats: StatsRecord[] = this.stats()): Summary {
    const categories: Partial<Record<Category, number>> = {};
    let all = 0;
    for (const record of stats) {
      categories[record.category] = (categories[record.category] ?? 0) + record.count;
      all += record.count;
    }
    for (const key of Object.keys(categories) as Category[]) categories[key] = all === 0 ? 0 : ((categories[key] ?? 0) / all) * 100;
    return {
      source: this.options.source,
      events: this.session.events,
      errors: this.session.errors,
      lost: this.session.lost,
      pids: this.session.pids.size,
      syscalls: stats.length,
      events_per_s: Math.round(this.rate * 10) / 10,
      elapsed_s: Math.max(0, Math.round((this.options.now() - this.startedAt) / 100) / 10),
      categories,
      input_ended: this.session.ended,
    };
  }

  /** Sends the pending event batch now. */
  flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0 && this.skipped === 0) return;
    const message = JSON.stringify({ type: 'events', events: this.pending, skipped: this.skipped });
    this.pending = [];
    this.skipped = 0;
    this.broadcast(message, true);
  };

  /** One stats period: sample the rate and push stats to every client. */
  tick(): void {
    this.rate = this.session.sampleRate(this.options.now());
    if (this.clients.size > 0) this.broadcast(this.statsMessage(this.stats()));
  }

  private statsMessage(stats: StatsRecord[]): string {
    return JSON.stringify({ type: 'stats', summary: this.summary(stats), stats });
  }

  private cached(): { stats: StatsRecord[]; json: string } {
    const now = this.options.now();
    const cache = this.cache;
    if (cache !== undefined && (cache.version === this.version || now - cache.at < this.options.statsMaxAgeMs)) return cache;
    const stats = this.session.snapshot('count');
    this.cache = { version: this.version, at: now, stats, json: JSON.stringify(stats) };
    return this.cache;
  }

  private broadcast(message: string, droppable = false): void {
    for (const client of this.clients) {
      const backlog = client.bufferedAmount;
      if (backlog > this.options.dropClientBytes) {
        this.clients.delete(client);
        client.close(1008, 'client too slow');
        continue;
      }
      if (droppable && backlog > this.options.slowClientBytes) continue;
      client.send(message);
    }
  }
}
