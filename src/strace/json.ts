/**
 * Fast NDJSON text for the records `parse` writes. JSON.stringify walks each
 * object generically; this writes the known fields in their known order, about
 * 1.5x faster on the parse hot path.
 *
 * Only for records straight out of `parseStrace()`, optionally through
 * `normalize()`: it does not look for fields it does not know. Those events
 * have the keys `pid, name, args, ret, latency_ns, error, timestamp`, then
 * optionally `ret_path, unfinished` (parser) and `category, raw_name`
 * (normalize). test/strace/json.test.ts pins the output to JSON.stringify's,
 * byte for byte, over every fixture event, so a change of either producer
 * shows up there. Meta records go to JSON.stringify.
 *
 * Only `args` and `ret_path` can hold arbitrary text (traced programs' data);
 * the scanner admits nothing but word characters in names and errnos, `?`,
 * digits and hex in `ret`, and builds `timestamp` itself, so those are
 * written without an escape check. Category labels come from a fixed list.
 */

import type { TraceRecord } from '../event.js';
import { canonicalName, categoryOf } from '../kb/aliases.js';

/** Characters JSON.stringify would escape (quote, backslash, controls, lone surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

/** One record of `parseStrace()` (+ `normalize()`) as a JSON line, without the newline. */
export function parsedRecordToJson(record: TraceRecord): string {
  if (record.type !== undefined) return JSON.stringify(record);
  const e = record as ParsedEvent;
  let tail = '}';
  const { category, raw_name } = e;
  if (raw_name !== undefined) tail = ',"raw_name":"' + (raw_name as string) + '"' + tail;
  if (category !== undefined) tail = ',"category":"' + (category as string) + '"' + tail;
  return eventJsonHead(e.pid, e.name, e.args, e.ret, e.latency_ns, e.error) + e.timestamp + eventJsonTail(e.ret_path as string | undefined, e.unfinished as boolean | undefined, tail);
}

/**
 * What `parsedRecordToJson(normalizeEvent(record))` gives for a record
 * straight out of `parseStrace()`, without building the normalised copy:
 * the canonical name, category and raw_name of each raw name are looked up
 * once (with normalize's own functions) and kept.
 */
export function normalizedRecordToJson(record: TraceRecord): string {
  if (record.type !== undefined) return JSON.stringify(record);
  const e = record as ParsedEvent;
  const names = normalizedNaming(e.name);
  return eventJsonHead(e.pid, names.name, e.args, e.ret, e.latency_ns, e.error) + e.timestamp + eventJsonTail(e.ret_path as string | undefined, e.unfinished as boolean | undefined, names.tail);
}

export type ParsedEvent = Record<string, unknown> & { pid: number; latency_ns: number; name: string; args: string; ret: string; error: string; timestamp: string };

/**
 * An event's JSON up to its timestamp's value (`{"pid":…,"timestamp":"`),
 * written with `name`. The time stamp is left out so that a line can be
 * written before its time is known (the parallel `parse`).
 */
export function eventJsonHead(pid: number, name: string, args: string, ret: string, latencyNs: number, error: string): string {
  return '{"pid":' + pid + ',"name":"' + name + '","args":' + quote(args) + ',"ret":"' + ret + '","latency_ns":' + latencyNs + ',"error":"' + error + '","timestamp":"';
}

/** An event's JSON after its timestamp's value: the closing quote, ret_path, unfinished, then `tail` (fields and the closing brace). */
export function eventJsonTail(retPath: string | undefined, unfinished: boolean | undefined, tail: string): string {
  let text = '"';
  if (retPath !== undefined) text += ',"ret_path":' + quote(retPath);
  if (unfinished !== undefined) text += ',"unfinished":' + unfinished;
  return text + tail;
}

/** A raw name's canonical name and the JSON of the fields normalize() adds. */
export interface NormalizedNaming {
  name: string;
  /** The fields, closing brace included. */
  tail: string;
  /** The end of an event line without ret_path or unfinished: the timestamp's closing quote, `tail` and the newline. */
  lineEnd: string;
}

/** The canonical name of a raw name and the JSON of the fields normalize() adds (closing brace included). */
export function normalizedNaming(rawName: string): NormalizedNaming {
  return normalizedNames.get(rawName) ?? learnName(rawName);
}

/** The end of an event line without ret_path or unfinished, when not normalised. */
export const RAW_LINE_END = '"}\n';

const normalizedNames = new Map<string, NormalizedNaming>();

function learnName(rawName: string): NormalizedNaming {
  const name = canonicalName(rawName);
  let tail = ',"category":"' + categoryOf(name) + '"';
  if (name !== rawName) tail += ',"raw_name":"' + rawName + '"';
  const names = { name, tail: tail + '}', lineEnd: '"' + tail + '}\n' };
  // Names are word characters from the trace: a hostile one could hold millions of distinct ones.
  if (normalizedNames.size >= 4096) normalizedNames.clear();
  normalizedNames.set(rawName, names);
  return names;
}
