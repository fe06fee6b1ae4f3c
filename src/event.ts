/**
 * The one place that defines what flows between stracectl stages:
 * the SyscallEvent, typed meta records, and the stats record.
 */

/** Category labels of the knowledge base (SPEC "The event"). */
export const CATEGORIES = ['I/O', 'FS', 'NET', 'MEM', 'PROC', 'SIG', 'OTHER'] as const;
export type Category = (typeof CATEGORIES)[number];

/** One completed syscall. Unknown extra fields are allowed and passed through. */
export interface SyscallEvent {
  pid: number;
  name: string;
  args: string;
  ret: string;
  latency_ns: number;
  error: string;
  timestamp: string;
  raw_name?: string;
  category?: Category;
  [extra: string]: unknown;
}

/**
 * A record that is not a syscall (signal delivery, exit, lost-event report,
 * in-kernel stats snapshot). It always carries a `type`; stages that work on
 * syscalls pass meta records through untouched and never count them.
 */
export interface MetaRecord {
  type: string;
  [extra: string]: unknown;
}

/** Meta record emitted when a tracer reports events it had to drop. */
export interface LostRecord extends MetaRecord {
  type: 'lost';
  count: number;
  timestamp: string;
}

export type TraceRecord = SyscallEvent | MetaRecord;

/** One aggregated group (SPEC "Stats record"). */
export interface StatsRecord {
  name: string;
  category: Category;
  count: number;
  errors: number;
  error_pct: number;
  total_ns: number;
  avg_ns: number;
  min_ns: number;
  max_ns: number;
  p50_ns: number;
  p95_ns: number;
  p99_ns: number;
  error_breakdown: Record<string, number>;
  pid?: number;
  errno?: string;
}

export function isMetaRecord(record: TraceRecord): record is MetaRecord {
  return typeof (record as MetaRecord).type === 'string';
}

export function isSyscallEvent(record: TraceRecord): record is SyscallEvent {
  return typeof (record as MetaRecord).type !== 'string';
}

const REQUIRED_STRINGS = ['name', 'args', 'ret', 'error', 'timestamp'] as const;

/**
 * Checks a decoded JSON value against the SyscallEvent schema.
 * Returns null when valid, else a short reason fit for a diagnostic.
 * Meta records (objects with a string `type`) are valid as long as they are objects.
 */
export function validateRecord(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return `expected a JSON object, got ${value === null ? 'null' : typeof value}`;
  if (Array.isArray(value)) return 'expected a JSON object, got an array';
  const record = value as Record<string, unknown>;
  if (typeof record.type === 'string') return null;
  if (!Number.isSafeInteger(record.pid)) return 'field "pid" must be an integer';
  for (const key of REQUIRED_STRINGS) {
    if (typeof record[key] !== 'string') return `field "${key}" must be a string`;
  }
  if (record.name === '') return 'field "name" must not be empty';
  const latency = record.latency_ns;
  if (!Number.isSafeInteger(latency) || (latency as number) < 0) return 'field "latency_ns" must be an integer >= 0';
  return null;
}

/** Is this stats-like object (from `aggregate` output) rather than an event? */
export function isStatsRecord(value: unknown): value is StatsRecord {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return typeof record.name === 'string' && typeof record.count === 'number' && typeof record.p50_ns === 'number';
}

/**
 * The original NDJSON text of decoded records, so a record that passes a
 * stage unchanged is written back verbatim (no re-serialisation). A WeakMap,
 * not a property, so copies made by changing stages never inherit it.
 */
export const sourceText = new WeakMap<object, string>();

/** Serialises one record as an NDJSON line (without the newline). */
export function serializeRecord(record: TraceRecord | StatsRecord): string {
  return sourceText.get(record) ?? JSON.stringify(record);
}
