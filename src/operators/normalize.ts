import { map, type OperatorFunction } from 'rxjs';
import { isMetaRecord, type SyscallEvent, type TraceRecord } from '../event.js';
import { canonicalName, categoryOf } from '../kb/aliases.js';

/**
 * Rewrites alias names to their canonical name (keeping the original in
 * `raw_name`) and sets `category`. Events already normalised come out as the
 * same object; changed events are new objects (records are never mutated).
 *
 * @example
 * of({ name: 'newfstatat', … }).pipe(normalize()) // → { name: 'fstat', raw_name: 'newfstatat', category: 'FS', … }
 */
export function normalize(): OperatorFunction<TraceRecord, TraceRecord> {
  return map((record) => (isMetaRecord(record) ? record : normalizeEvent(record)));
}

export function normalizeEvent(event: SyscallEvent): SyscallEvent {
  const name = canonicalName(event.name);
  const category = categoryOf(name);
  if (name === event.name && event.category === category) return event;
  // Object.assign builds a fast-properties object; a spread copy is ~4x slower to create and to serialise.
  const normalized: SyscallEvent = Object.assign({}, event);
  normalized.name = name;
  normalized.category = category;
  if (name !== event.name && event.raw_name === undefined) normalized.raw_name = event.name;
  return normalized;
}
