/**
 * Prometheus metrics of a live trace: calls and errors (by errno) as
 * counters and latency as a real histogram (cumulative `le` buckets, so
 * `histogram_quantile` works), labelled by syscall and category. Each event
 * is observed once as it arrives; per-label children are cached so the hot
 * path does no label hashing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SyscallEvent } from '../event.js';
import { categoryOf } from '../kb/aliases.js';

/** Latency buckets in seconds: 1 µs … 10 s, dense around the 5 ms triage threshold. */
export const LATENCY_BUCKETS_S = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Label values come from traced (or hand-fed) input; past these many distinct
 * values the rest share one series so a hostile input cannot blow up memory.
 */
export const MAX_SYSCALL_LABELS = 1000;
export const MAX_ERRNO_LABELS = 200;
export const OVERFLOW_LABEL = '_other';

interface SyscallSeries {
  calls: { inc(): void };
  latency: { observe(value: number): void };
  errors: Map<string, { inc(): void }>;
  labels: { syscall: string; category: string };
}

export interface MetricsSource {
  /** Events reported lost by the tracer so far. */
  lost(): number;
  /** Has the input ended? */
  ended(): boolean;
}

export class SyscallMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'syscall' | 'category'>;
  private readonly errors: Counter<'syscall' | 'category' | 'errno'>;
  private readonly latency: Histogram<'syscall' | 'category'>;
  private readonly series = new Map<string, SyscallSeries>();
  private readonly errnos = new Set<string>();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.calls = new Counter({ name: 'stracectl_syscalls_total', help: 'Completed syscalls seen', labelNames: ['syscall', 'category'], registers });
    this.errors = new Counter({
      name: 'stracectl_syscall_errors_total',
      help: 'Failed syscalls by errno',
      labelNames: ['syscall', 'category', 'errno'],
      registers,
    });
    this.latency = new Histogram({
      name: 'stracectl_syscall_latency_seconds',
      help: 'Time spent in the syscall (0 when the source has no timing)',
      labelNames: ['syscall', 'category'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    new Gauge({
      name: 'stracectl_lost_events',
      help: 'Events the tracer reported as dropped',
      registers,
      collect() {
        this.set(source.lost());
      },
    });
    new Gauge({
      name: 'stracectl_input_ended',
      help: '1 once the event input has ended (the values are then final)',
      registers,
      collect() {
        this.set(source.ended() ? 1 : 0);
      },
    });
  }

  /** Counts one (normalised) event. */
  observe(event: SyscallEvent): void {
    const entry = this.seriesOf(event.name, event.category);
    entry.calls.inc();
    entry.latency.observe(event.latency_ns / 1e9);
    if (event.error !== '') {
      let errno = event.error;
      let counter = entry.errors.get(errno);
      if (counter === undefined) {
        if (!this.errnos.has(errno) && this.errnos.size >= MAX_ERRNO_LABELS) errno = OVERFLOW_LABEL;
        else this.errnos.add(errno);
        counter = this.errors.labels({ ...entry.labels, errno });
        if (errno !== OVERFLOW_LABEL) entry.errors.set(errno, counter);
      }
      counter.inc();
    }
  }

  /** The exposition text. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private seriesOf(name: string, category: string | undefined): SyscallSeries {
    let entry = this.series.get(name);
    if (entry === undefined) {
      const overflow = this.series.size >= MAX_SYSCALL_LABELS;
      const labels = overflow ? { syscall: OVERFLOW_LABEL, category: 'OTHER' } : { syscall: name, category: category ?? categoryOf(name) };
      entry = { calls: this.calls.labels(labels), latency: this.latency.labels(labels), errors: new Map(), labels };
      // Overflowed names are not cached, so the map itself stays bounded.
      if (!overflow) this.series.set(name, entry);
    }
    return entry;
  }
}
