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
  // A quote certainly needs escaping (strace's strings always have them): no regex for those.
  return text.indexOf('"') !== -1 || NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

/** One record of `parseStrace()` (+ `normalize()`) as a JSON line, without the newline. */
export function parsedRecordToJson(record: TraceRecord): string {
  if (record.type !== undefined) return JSON.stringify(record);
  const e = record as ParsedEvent;
  let tail = '}';
  const { category, raw_name } = e;
  if (raw_name !== undefined) tail = ',"raw_name":"' + (raw_name as string) + '"' + tail;
  if (category !== undefined) tail = ',"category":"' + (category as string) + '"' + tail;
  return eventJsonHead(e.pid, nameField(e.name), e.args, e.ret, e.latency_ns, e.error) + e.timestamp + eventJsonTail(e.ret_path as string | undefined, e.unfinished as boolean | undefined, tail);
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
  return eventJsonHead(e.pid, names.field, e.args, e.ret, e.latency_ns, e.error) + e.timestamp + eventJsonTail(e.ret_path as string | undefined, e.unfinished as boolean | undefined, names.tail);
}

export type ParsedEvent = Record<string, unknown> & { pid: number; latency_ns: number; name: string; args: string; ret: string; error: string; timestamp: string };

/**
 * An event's JSON up to its timestamp's value (`{"pid":…,"timestamp":"`),
 * with the name as `nameField` gives it (callers that write many events of one
 * name keep that). The time stamp is left out so that a line can be written
 * before its time is known (the parallel `parse`).
 */
export function eventJsonHead(pid: number, nameJson: string, args: string, ret: string, latencyNs: number, error: string): string {
  // Fewer, longer pieces: each + is a string of its own to allocate, then to walk when the line is written out.
  if (pid !== lastPid) {
    lastPid = pid;
    pidHead = '{"pid":' + pid + ',"name":"';
  }
  return pidHead + nameJson + quote(args) + ',"ret":"' + ret + '","latency_ns":' + latencyNs + (error === '' ? NO_ERROR : ',"error":"' + error + '","timestamp":"');
}

/** `name` as eventJsonHead takes it: the name's JSON value without its opening quote, up to the value of args. */
export function nameField(name: string): string {
  return name + '","args":';
}

/** The head of the last pid's events (a trace's pid changes seldom from one line to the next). */
let lastPid = -1;
let pidHead = '{"pid":-1,"name":"';
const NO_ERROR = ',"error":"","timestamp":"';

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
  /** nameField(name), for eventJsonHead. */
  field: string;
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
  const names = { name, field: nameField(name), tail: tail + '}', lineEnd: '"' + tail + '}\n' };
  // Names are word characters from the trace: a hostile one could hold millions of distinct ones.
  if (normalizedNames.size >= 4096) normalizedNames.clear();
  normalizedNames.set(rawName, names);
  return names;
}
