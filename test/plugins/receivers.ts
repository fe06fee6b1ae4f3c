/**
 * Loopback receivers for the sink tests: an OTLP/HTTP collector stand-in
 * that decodes protobuf (with the generated code shipped in
 * @opentelemetry/otlp-transformer, from the official .proto files) and JSON,
 * and a Slack incoming-webhook stand-in with scripted answers.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ProtoType {
  decode(body: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: Record<'metrics' | 'trace', { v1: Record<string, ProtoType> }> } };
};
const MetricsRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest!;
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest!;

export interface ReceivedRequest {
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The OTLP request as a plain object (camelCase fields, int64 as strings) — OTLP requests only. */
  decoded?: unknown;
  /** Parsed JSON body — webhook requests. */
  json?: unknown;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An OTLP/HTTP receiver; `status(path, index)` scripts the answers (default 200; 0 = never answer). */
export async function startOtlpReceiver(status: (path: string, index: number) => number = () => 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const code = status(path, requests.filter((r) => r.path === path).length);
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      const type = path === '/v1/metrics' ? MetricsRequest : path === '/v1/traces' ? TraceRequest : undefined;
      let decoded: unknown;
      if (type !== undefined && code === 200) {
        decoded = contentType.includes('json')
          ? JSON.parse(body.toString('utf8'))
          : type.toObject(type.decode(body), { longs: String, enums: String, bytes: String, arrays: true });
      }
      requests.push({ path, contentType, headers: req.headers, body, decoded });
      if (code === 0) return; // a collector that hangs
      res.writeHead(code, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
      res.end(contentType.includes('json') ? '{}' : '');
    });
  });
  const url = await listen(server);
  return { url, requests, close: () => closeServer(server) };
}

/** A Slack webhook stand-in at `/services/…`; `answer(index)` scripts status and body (default 200 "ok"). */
export async function startWebhookReceiver(
  answer: (index: number) => { status: number; body?: string } = () => ({ status: 200 }),
): Promise<Receiver & { path: string }> {
  const requests: ReceivedRequest[] = [];
  const path = '/services/T0STRACE/B0CTL/s3cretW3bhookT0ken';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { status, body: text } = answer(requests.length);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', headers: req.headers, body, json });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text ?? (status === 200 ? 'ok' : 'server_error'));
    });
  });
  const base = await listen(server);
  return { url: `${base}${path}`, path, requests, close: () => closeServer(server) };
}

// ---- OTLP views: the same shape from protobuf and JSON ----

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

export type AttributeMap = Record<string, string | number | boolean>;

export function attributesOf(list: KeyValue[] | undefined): AttributeMap {
  const attributes: AttributeMap = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) attributes[key] = value.stringValue;
    else if (value.intValue !== undefined) attributes[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) attributes[key] = Number(value.doubleValue);
    else if (value.boolValue !== undefined) attributes[key] = value.boolValue;
  }
  return attributes;
}

export interface MetricPoint {
  metric: string;
  unit: string;
  kind: 'sum' | 'histogram' | 'gauge';
  attributes: AttributeMap;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
  monotonic?: boolean;
}

interface DecodedMetrics {
  resourceMetrics?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: Array<{
      scope?: { name?: string };
      metrics?: Array<{
        name: string;
        unit?: string;
        sum?: { dataPoints?: Array<{ attributes?: KeyValue[]; asInt?: string | number; asDouble?: number }>; isMonotonic?: boolean };
        gauge?: { dataPoints?: Array<{ attributes?: KeyValue[]; asInt?: string | number; asDouble?: number }> };
        histogram?: {
          dataPoints?: Array<{ attributes?: KeyValue[]; count?: string | number; sum?: number; bucketCounts?: Array<string | number>; explicitBounds?: number[] }>;
        };
      }>;
    }>;
  }>;
}

export function resourceAttributes(decoded: unknown): AttributeMap {
  const resource = (decoded as DecodedMetrics).resourceMetrics?.[0]?.resource ?? (decoded as DecodedSpans).resourceSpans?.[0]?.resource;
  return attributesOf(resource?.attributes);
}

export function metricPoints(decoded: unknown): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const resource of (decoded as DecodedMetrics).resourceMetrics ?? []) {
    for (const scope of resource.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const unit = metric.unit ?? '';
        for (const point of metric.sum?.dataPoints ?? []) {
          points.push({
            metric: metric.name,
            unit,
            kind: 'sum',
            attributes: attributesOf(point.attributes),
            value: Number(point.asInt ?? point.asDouble ?? 0),
            monotonic: metric.sum?.isMonotonic,
          });
        }
        for (const point of metric.gauge?.dataPoints ?? []) {
          points.push({ metric: metric.name, unit, kind: 'gauge', attributes: attributesOf(point.attributes), value: Number(point.asInt ?? point.asDouble ?? 0) });
        }
        for (const point of metric.histogram?.dataPoints ?? []) {
          points.push({
            metric: metric.name,
            unit,
            kind: 'histogram',
            attributes: attributesOf(point.attributes),
            count: Number(point.count ?? 0),
            sum: Number(point.sum ?? 0),
            bucketCounts: (point.bucketCounts ?? []).map(Number),
            bounds: point.explicitBounds ?? [],
          });
        }
      }
    }
  }
  return points;
}

export interface SpanView {
  name: string;
  attributes: AttributeMap;
  /** 'ERROR', 'OK' or 'UNSET'. */
  status: string;
  statusMessage: string;
  startNs: bigint;
  endNs: bigint;
}

interface DecodedSpans {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        attributes?: KeyValue[];
        status?: { code?: string | number; message?: string };
        startTimeUnixNano?: string | number;
        endTimeUnixNano?: string | number;
      }>;
    }>;
  }>;
}

const STATUS: Record<string, string> = { '0': 'UNSET', '1': 'OK', '2': 'ERROR', STATUS_CODE_UNSET: 'UNSET', STATUS_CODE_OK: 'OK', STATUS_CODE_ERROR: 'ERROR' };

export function spansOf(decoded: unknown): SpanView[] {
  const spans: SpanView[] = [];
  for (const resource of (decoded as DecodedSpans).resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          name: span.name,
          attributes: attributesOf(span.attributes),
          status: STATUS[String(span.status?.code ?? 0)] ?? String(span.status?.code),
          statusMessage: span.status?.message ?? '',
          startNs: BigInt(span.startTimeUnixNano ?? 0),
          endNs: BigInt(span.endTimeUnixNano ?? 0),
        });
      }
    }
  }
  return spans;
}

// ---- running the CLI without blocking the receivers' event loop ----

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node bin/run.js ARGS` asynchronously (a sync spawn would starve the in-process receivers). */
export function runCliAsync(binRun: string, args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [binRun, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
