import { createRequire } from 'node:module';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { Flags } from '@oclif/core';
import { SinkCommand, errorMessage, parseDuration, withRetry, type SyscallEvent } from 'stracectl';
import { PROTOCOLS, SyscallTelemetry, type Protocol } from '../telemetry.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** `--headers k=v` values → a header map; never echoes a value (they are usually credentials). */
export function parseHeaders(pairs: readonly string[]): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (key === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) return `expected KEY=VALUE with a header name before "=" (argument ${pairs.indexOf(pair) + 1})`;
    headers[key] = pair.slice(at + 1).trim();
  }
  return headers;
}

/** The SDK's global error handler JSON-encodes whole exceptions (stack included): keep the message. */
function sdkMessage(message: string): string {
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // plain text
  }
  return message;
}

export default class Otel extends SinkCommand<SyscallEvent> {
  static summary = 'Send syscall metrics and spans to an OpenTelemetry Collector over OTLP/HTTP.';
  static description =
    'Reads SyscallEvents (NDJSON) and exports, through the OpenTelemetry JS SDK: the counters stracectl.syscall.calls and stracectl.syscall.errors (by errno) and the histogram stracectl.syscall.duration (seconds), each with the attributes syscall and category; and one span per failing call or call slower than --slow, with the event fields as attributes. Metrics are cumulative and pushed every --export-interval; everything is flushed before exit (EOF, Ctrl-C, SIGTERM). Header values are never printed.';
  static examples = [
    'stracectl capture -p 42 | stracectl otel --endpoint http://collector:4318 --service-name web-1',
    'stracectl parse trace.txt | stracectl otel --protocol http/json --slow 10ms',
    "stracectl capture -- ./server | stracectl otel --headers 'authorization=Bearer $TOKEN' --tee | stracectl top",
  ];
  static flags = {
    endpoint: Flags.string({
      description: 'base URL of the OTLP/HTTP receiver (/v1/metrics and /v1/traces are appended)',
      default: 'http://localhost:4318',
      env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    }),
    protocol: Flags.string({ description: 'OTLP encoding', options: [...PROTOCOLS], default: 'http/protobuf' }),
    'service-name': Flags.string({ description: 'service.name of the exported resource', default: 'stracectl', env: 'OTEL_SERVICE_NAME' }),
    headers: Flags.string({ description: 'HTTP header for every export request, KEY=VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    slow: Flags.string({ description: 'calls at least this slow get a span (failing calls always do)', default: '100ms' }),
    'export-interval': Flags.string({ description: 'how often metrics are pushed', default: '10s' }),
    timeout: Flags.string({ description: 'timeout of one export request', default: '10s' }),
  };

  private telemetry: SyscallTelemetry | undefined;
  private retries = 0;
  private closing = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Otel);
    const duration = (name: string, text: string): number => {
      try {
        return parseDuration(text);
      } catch (error) {
        this.usageError(`--${name}: ${(error as Error).message}`);
      }
    };
    let endpoint: URL | undefined;
    try {
      endpoint = new URL(flags.endpoint);
    } catch {
      // reported below
    }
    if (endpoint === undefined || !/^https?:$/.test(endpoint.protocol)) {
      this.usageError('--endpoint must be an http:// or https:// URL', 'e.g. --endpoint http://localhost:4318');
    }
    const headers = parseHeaders(flags.headers ?? []);
    if (typeof headers === 'string') this.usageError(`--headers: ${headers}`, "e.g. --headers 'authorization=Bearer TOKEN'");
    for (const value of Object.values(headers)) this.logger.redact(value);
    const exportIntervalMs = duration('export-interval', flags['export-interval']) / 1e6;
    if (exportIntervalMs < 10) this.usageError('--export-interval must be at least 10ms');
    const timeoutMs = duration('timeout', flags.timeout) / 1e6;
    if (timeoutMs < 1) this.usageError('--timeout must be at least 1ms');

    // The SDK reports failed periodic exports through its diag logger: route them to our stderr logger
    // (not while closing: close() reports the outcome of the final flush itself).
    // A collector that is down fails every export the same way: say it once per 10 s, not once per batch.
    const lastSaid = new Map<string, number>();
    const fromSdk = (level: 'error' | 'warn', message: string, args: unknown[]): void => {
      if (this.closing) return;
      const text = [sdkMessage(message), ...args.map(errorMessage)].join(' ');
      const now = Date.now();
      if (now - (lastSaid.get(text) ?? Number.NEGATIVE_INFINITY) < 10_000) return;
      lastSaid.set(text, now);
      this.logger[level](text);
    };
    diag.setLogger(
      {
        error: (message, ...args) => fromSdk('error', message, args),
        warn: (message, ...args) => fromSdk('warn', message, args),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    this.retries = flags.retries;
    this.telemetry = new SyscallTelemetry({
      endpoint: endpoint.toString(),
      protocol: flags.protocol as Protocol,
      serviceName: flags['service-name'],
      headers,
      slowNs: duration('slow', flags.slow),
      exportIntervalMs,
      timeoutMs,
      version,
    });
    await this.runSink({ files: argv as string[], flags });
  }

  protected async write(batch: SyscallEvent[]): Promise<void> {
    for (const event of batch) this.telemetry!.record(event);
  }

  /** Final export; metrics are cumulative, so a retry re-sends everything the collector missed. */
  protected async close(): Promise<void> {
    const telemetry = this.telemetry;
    if (telemetry === undefined) return;
    this.closing = true;
    const problems: string[] = [];
    try {
      await telemetry.flushSpans();
      await withRetry(() => telemetry.flushMetrics(), {
        retries: this.retries,
        baseDelayMs: this.retryBaseDelayMs,
        onRetry: (error, attempt, delayMs) => this.logger.warn(`metrics export failed (${errorMessage(error)}); retry ${attempt} of ${this.retries} in ${delayMs} ms`),
      });
    } catch (error) {
      problems.push(`metrics not exported: ${errorMessage(error)}`);
    } finally {
      await telemetry.shutdown();
    }
    const lost = telemetry.lostSpans;
    if (lost > 0) problems.push(`${lost} span${lost === 1 ? '' : 's'} not exported: ${errorMessage(telemetry.spanError)}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
  }
}
