/**
 * SyscallEvents → OpenTelemetry: per-syscall metrics (calls, errors by
 * errno, a latency histogram) and one span per failing or slow call, pushed
 * over OTLP/HTTP by the official SDK and exporters.
 */
import { hostname } from 'node:os';
import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { normalizeEvent, type SyscallEvent } from 'stracectl';

export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Metric names (OTel semantic-convention style: dotted, unit in `unit`). */
export const METRIC_CALLS = 'stracectl.syscall.calls';
export const METRIC_ERRORS = 'stracectl.syscall.errors';
export const METRIC_DURATION = 'stracectl.syscall.duration';

/** Histogram bucket bounds in seconds: 1 µs … 10 s, the range syscalls live in. */
export const DURATION_BUCKETS_S = [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export interface TelemetryOptions {
  /** Base URL of the collector's OTLP/HTTP receiver; `/v1/metrics` and `/v1/traces` are appended. */
  endpoint: string;
  protocol: Protocol;
  serviceName: string;
  headers: Record<string, string>;
  /** Calls at least this slow get a span (failing calls always do). */
  slowNs: number;
  exportIntervalMs: number;
  timeoutMs: number;
  version: string;
}

/** `http://host:4318` + `v1/metrics`, keeping any path prefix of the endpoint. */
export function signalUrl(endpoint: string, signal: 'metrics' | 'traces'): string {
  const base = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  return new URL(`v1/${signal}`, base).toString();
}

/**
 * An event's ISO 8601 timestamp as OTel HrTime, keeping sub-millisecond
 * digits that Date.parse drops; undefined when it is not a timestamp.
 */
export function hrTimeOf(timestamp: string): HrTime | undefined {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(timestamp);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3] ?? 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = Number((match[2] ?? '').padEnd(9, '0'));
  return [Math.floor(ms / 1000), nanos];
}

/** `start + ns` as HrTime. */
export function addNanos([seconds, nanos]: HrTime, ns: number): HrTime {
  const total = nanos + ns;
  return [seconds + Math.floor(total / 1e9), total % 1e9];
}

/** Span attributes: the event's own fields (scalars), plus the metric attributes for correlation. */
export function spanAttributes(event: SyscallEvent): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(event)) {
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) attributes[key] = value;
  }
  attributes.syscall = event.name;
  if (event.category !== undefined) attributes.category = event.category;
  if (event.error !== '') attributes.errno = event.error;
  return attributes;
}

/** ExportResultCode.SUCCESS of @opentelemetry/core (not a direct dependency). */
const EXPORT_SUCCESS = 0;
type ExportResult = { code: number; error?: Error };

/**
 * Watches the results of a metric exporter: the SDK's reader hands export
 * failures to a global error handler instead of rejecting forceFlush, and
 * the final flush must know whether the collector took the data.
 */
class WatchedMetricExporter implements PushMetricExporter {
  lastError: Error | undefined;
  /** Set after the final flush: the SDK's shutdown would export the same cumulative data again. */
  muted = false;

  constructor(private readonly inner: PushMetricExporter) {
    if (inner.selectAggregationTemporality) this.selectAggregationTemporality = inner.selectAggregationTemporality.bind(inner);
    if (inner.selectAggregation) this.selectAggregation = inner.selectAggregation.bind(inner);
  }

  selectAggregationTemporality?: PushMetricExporter['selectAggregationTemporality'];
  selectAggregation?: PushMetricExporter['selectAggregation'];

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    if (this.muted) return done({ code: EXPORT_SUCCESS });
    this.inner.export(metrics, (result) => {
      this.lastError = result.code === EXPORT_SUCCESS ? undefined : (result.error ?? new Error('metrics export failed'));
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Counts spans whose export failed: the batch processor drops them, so they are lost. */
class WatchedSpanExporter implements SpanExporter {
  lostSpans = 0;
  lastError: Error | undefined;

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCESS) {
        this.lostSpans += spans.length;
        this.lastError = result.error ?? new Error('span export failed');
      }
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export class SyscallTelemetry {
  private readonly meterProvider: MeterProvider;
  private readonly tracerProvider: BasicTracerProvider;
  private readonly calls;
  private readonly errors;
  private readonly duration;
  private readonly tracer;
  private readonly metricExporter: WatchedMetricExporter;
  private readonly spanExporter: WatchedSpanExporter;
  spans = 0;

  constructor(private readonly options: TelemetryOptions) {
    const resource = resourceFromAttributes({ 'service.name': options.serviceName, 'host.name': hostname() });
    const exporterConfig = (signal: 'metrics' | 'traces') => ({
      url: signalUrl(options.endpoint, signal),
      headers: options.headers,
      timeoutMillis: options.timeoutMs,
    });
    this.metricExporter = new WatchedMetricExporter(
      options.protocol === 'http/json' ? new JsonMetricExporter(exporterConfig('metrics')) : new ProtoMetricExporter(exporterConfig('metrics')),
    );
    this.spanExporter = new WatchedSpanExporter(
      options.protocol === 'http/json' ? new JsonTraceExporter(exporterConfig('traces')) : new ProtoTraceExporter(exporterConfig('traces')),
    );

    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: this.metricExporter,
          exportIntervalMillis: options.exportIntervalMs,
          exportTimeoutMillis: Math.min(options.timeoutMs, options.exportIntervalMs),
        }),
      ],
    });
    this.tracerProvider = new BasicTracerProvider({
      resource,
      // Args of a traced program can be megabytes; a span attribute need not be.
      spanLimits: { attributeValueLengthLimit: 4096 },
      forceFlushTimeoutMillis: options.timeoutMs + 1000,
      spanProcessors: [
        new BatchSpanProcessor(this.spanExporter, {
          maxQueueSize: 8192,
          maxExportBatchSize: 512,
          scheduledDelayMillis: Math.min(options.exportIntervalMs, 5000),
          exportTimeoutMillis: options.timeoutMs,
        }),
      ],
    });

    const meter = this.meterProvider.getMeter('@stracectl/plugin-otel', options.version);
    this.calls = meter.createCounter(METRIC_CALLS, { unit: '{call}', description: 'Completed syscalls' });
    this.errors = meter.createCounter(METRIC_ERRORS, { unit: '{call}', description: 'Failed syscalls, by errno' });
    this.duration = meter.createHistogram(METRIC_DURATION, {
      unit: 's',
      description: 'Time spent in the syscall',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.tracer = this.tracerProvider.getTracer('@stracectl/plugin-otel', options.version);
  }

  /** Counts one event, and starts + ends its span when it failed or was slow. */
  record(raw: SyscallEvent): void {
    const event = normalizeEvent(raw);
    const attributes: Attributes = { syscall: event.name, category: event.category ?? 'OTHER' };
    this.calls.add(1, attributes);
    this.duration.record(event.latency_ns / 1e9, attributes);
    if (event.error !== '') this.errors.add(1, { ...attributes, errno: event.error });
    if (event.error === '' && event.latency_ns < this.options.slowNs) return;
    const start = hrTimeOf(event.timestamp);
    const span = this.tracer.startSpan(event.name, { kind: SpanKind.INTERNAL, startTime: start, attributes: spanAttributes(event) });
    if (event.error !== '') span.setStatus({ code: SpanStatusCode.ERROR, message: event.error });
    span.end(start === undefined ? undefined : addNanos(start, event.latency_ns));
    this.spans++;
  }

  /** Exports the spans still queued; failures show up in `lostSpans`. */
  async flushSpans(): Promise<void> {
    await this.tracerProvider.forceFlush().catch(() => undefined);
  }

  /** Exports the metrics (cumulative: everything so far); rejects when the collector did not take them. */
  async flushMetrics(): Promise<void> {
    await this.meterProvider.forceFlush();
    if (this.metricExporter.lastError !== undefined) throw this.metricExporter.lastError;
  }

  /** Spans the collector never got. */
  get lostSpans(): number {
    return this.spanExporter.lostSpans;
  }

  get spanError(): Error | undefined {
    return this.spanExporter.lastError;
  }

  /** Stops the SDK after the final flush (without exporting the same metrics again). */
  async shutdown(): Promise<void> {
    this.metricExporter.muted = true;
    await Promise.allSettled([this.tracerProvider.shutdown(), this.meterProvider.shutdown()]);
  }
}
