/**
 * StraceParser: strace text lines → SyscallEvents (and signal/exit meta
 * records), one trace at a time.
 *
 * Pairing: an `<unfinished ...>` line waits, per pid, for its `<... NAME
 * resumed>` line; the pair becomes ONE event with both argument parts joined,
 * the entry time of the first line and the latency/result of the second.
 * When the resumed line's pid holds no open call of that name (strace drops
 * the `[pid N]` prefix while only one tracee is alive, so one half may be
 * unprefixed), the one open call with that name is taken.
 *
 * Pids of unprefixed lines: strace omits the prefix only while a single
 * tracee is alive, so an unprefixed line belongs to the process that is alive
 * as far as the trace shows — pids seen in prefixes or in `strace: Process N
 * attached`, minus those that exited (`+++ …`, `exit_group() = ?`); when
 * several seem alive, the oldest (a parent usually outlives its children).
 * Before any pid is known it is learned from the first unprefixed
 * `set_tid_address`/`gettid`/`getpid` result, or from a prefixed line that
 * resumes an unprefixed call. Until then events are held back (at most
 * `pidLookahead` of them, default 256) so they can get the learned pid; past
 * that, or at the end of the input, they go out with pid 0.
 *
 * Calls still unfinished at the end of the input (or when their process
 * exits) are emitted anyway, as the `= ?` calls strace prints for calls that
 * never return: `ret: "?"`, `error: ""`, `latency_ns: 0`, plus `unfinished: true`.
 */

import type { MetaRecord, SyscallEvent, TraceRecord } from '../event.js';
import { newScannedLine, scanStraceLine, type ScannedLine } from './line.js';
import { TraceClock, type TraceClockOptions } from './timestamps.js';

export interface StraceParserOptions extends TraceClockOptions {
  /** Emit `--- SIG… ---` and `+++ … +++` lines as records with `type: "signal"` / `type: "exit"`. */
  emitMeta?: boolean;
  /** Told about each line that is not strace syntax (1-based line number, reason). It may throw to stop. */
  onInvalidLine?: (lineNumber: number, reason: string) => void;
  /** Pid of unprefixed lines until the trace shows one (e.g. the `-p` pid of a live capture). */
  pid?: number;
  /** How many events may wait for the pid of unprefixed lines to be learned (0: never wait). */
  pidLookahead?: number;
}

/** The signal record (`--- SIGCHLD {...} ---`). */
export interface SignalRecord extends MetaRecord {
  type: 'signal';
  pid: number;
  signal: string;
  info: string;
  timestamp: string;
}

/** The exit record (`+++ exited with 7 +++`, `+++ killed by SIGTERM +++`). */
export interface ExitRecord extends MetaRecord {
  type: 'exit';
  pid: number;
  /** Exit status when the process exited; absent when it was killed. */
  status?: number;
  /** The killing signal. */
  signal?: string;
  core_dumped?: boolean;
  /** What strace printed between the `+++` marks. */
  text: string;
  timestamp: string;
}

interface OpenCall {
  name: string;
  args: string;
  timestamp: string;
  /** -1 while unknown. */
  pid: number;
  /** The pid came from the line's own prefix (not inferred). */
  explicit: boolean;
}

/**
 * A syscall line that was scanned and written as JSON elsewhere (by a worker
 * of the parallel `parse`, src/parallel): the parser only gives it its pid and
 * time, exactly as it would the same line pushed as text.
 */
export interface PrebuiltLine {
  /** In: the pid of the line's prefix, -1 when it has none. Out: the event's pid (0 while unknown). */
  pid: number;
  stampKind: PrebuiltStamp;
  /** The second of the day of a CLOCK stamp, the microseconds of a RELATIVE one. */
  stamp: number;
  /** Out: for a CLOCK stamp, its day (midnights after `date`); for a RELATIVE one, its time in microseconds since the epoch. */
  time: number;
}

/** How a prebuilt line's time depends on the lines before it. */
export const PrebuiltStamp = {
  /** No stamp, or an -ttt one: the written time is final. */
  FIXED: 0,
  /** -t/-tt: the day depends on the midnights crossed before. */
  CLOCK: 1,
  /** -r: the time is the sum of every delta before. */
  RELATIVE: 2,
} as const;
export type PrebuiltStamp = (typeof PrebuiltStamp)[keyof typeof PrebuiltStamp];

const UNKNOWN = -1;
/** Calls that return the caller's own pid (or tid), which names the process of unprefixed lines. */
export const SELF_PID_CALLS: ReadonlySet<string> = new Set(['set_tid_address', 'gettid', 'getpid']);

export class StraceParser<Extra extends { pid: number } = never> {
  private readonly scanned: ScannedLine = newScannedLine();
  private readonly clock: TraceClock;
  private readonly emitMeta: boolean;
  private readonly onInvalidLine: ((lineNumber: number, reason: string) => void) | undefined;
  private readonly pidLookahead: number;
  private lineNumber = 0;
  private inSummary = false;

  /** Open `<unfinished ...>` calls by pid (UNKNOWN while the pid of unprefixed lines is not known). */
  private readonly open = new Map<number, OpenCall>();
  /** Tracees alive as far as the trace shows, in order of appearance. */
  private readonly alive = new Set<number>();
  private lastPrefixPid = -2;
  /** The pid an unprefixed line is given now; UNKNOWN when nothing is known. */
  private unprefixedPid = UNKNOWN;
  /** The last pid an unprefixed line had, kept when that process is gone. */
  private lastSolePid = UNKNOWN;

  /** Records waiting for the unprefixed pid to be learned (null: not holding). */
  private held: Array<TraceRecord | Extra> | null = null;
  private unresolved: Array<{ pid: number }> = [];
  private gaveUpWaiting = false;

  constructor(
    options: StraceParserOptions,
    private readonly emit: (record: TraceRecord | Extra) => void,
  ) {
    this.clock = new TraceClock(options);
    this.emitMeta = options.emitMeta ?? false;
    this.onInvalidLine = options.onInvalidLine;
    this.pidLookahead = options.pidLookahead ?? 256;
    if (this.pidLookahead <= 0) this.gaveUpWaiting = true;
    if (options.pid !== undefined) {
      this.alive.add(options.pid);
      this.refreshUnprefixedPid();
    }
  }

  /** Lines read so far (the number of the last line pushed). */
  get lines(): number {
    return this.lineNumber;
  }

  /** Feeds one line (without its newline). */
  push(line: string): void {
    this.lineNumber++;
    if (this.inSummary) return;
    const s = this.scanned;
    scanStraceLine(line, s);
    const kind = s.kind;
    if (kind === 'blank' || kind === 'info') return;
    if (kind === 'invalid') {
      this.onInvalidLine?.(this.lineNumber, s.text);
      return;
    }
    if (kind === 'summary') {
      // The -c/-C table strace appends after the last trace line: not events, not errors.
      this.inSummary = true;
      return;
    }
    // Every stamp is read, whatever the line, so -r deltas add up.
    const timestamp = this.clock.read(line, s.stampKind, s.stampStart, s.stampEnd);
    const explicit = s.pid >= 0;
    let pid = this.pidOf(s.pid);

    switch (kind) {
      case 'syscall': {
        const event = makeEvent(pid, s.name, s.args, s.ret, s.latencyNs, s.error, timestamp);
        if (s.retPath !== '') event.ret_path = s.retPath;
        if (pid === UNKNOWN && SELF_PID_CALLS.has(s.name)) {
          const self = Number(s.ret);
          if (Number.isSafeInteger(self) && self > 0) {
            this.learnPid(self);
            event.pid = self;
            pid = self;
          }
        }
        this.output(event, pid === UNKNOWN);
        if (s.ret === '?') this.callEnded(s.name, pid);
        return;
      }
      case 'unfinished': {
        const previous = this.open.get(pid);
        if (previous !== undefined) this.emitUnfinished(previous);
        this.open.set(pid, { name: s.name, args: s.args, timestamp, pid, explicit });
        return;
      }
      case 'resumed':
        return this.resume(pid, explicit, timestamp);
      case 'signal':
        if (this.emitMeta) {
          const record: SignalRecord = { type: 'signal', pid, signal: s.text, info: s.detail, timestamp };
          this.output(record, pid === UNKNOWN);
        }
        return;
      case 'exit': {
        const call = this.open.get(pid);
        if (call !== undefined) {
          this.open.delete(pid);
          this.emitUnfinished(call);
        }
        this.forget(pid);
        if (this.emitMeta) this.output(exitRecord(pid, s.text, s.detail, timestamp), pid === UNKNOWN);
        return;
      }
      case 'attached':
        if (!this.alive.has(s.otherPid)) {
          this.alive.add(s.otherPid);
          this.refreshUnprefixedPid();
        }
        return;
      case 'detached':
        this.forget(s.otherPid);
        return;
    }
  }

  /**
   * Takes a plain syscall line (one that `push` would turn into exactly one
   * event at once: not unfinished, resumed or `= ?`, and no unprefixed
   * getpid-like call) already scanned elsewhere; the record is emitted (or
   * held) as the event of that line.
   */
  pushPrebuilt(line: Extra & PrebuiltLine): void {
    if (this.readPrebuilt(line)) this.output(line, line.pid === UNKNOWN);
  }

  /**
   * Takes the `<unfinished ...>` line of a prefixed pid, scanned elsewhere,
   * whose `<... resumed>` line comes as pushPrebuiltResumed with no line in
   * between that could make it complete another call (an unprefixed line,
   * an exit, another line of that pid…): what push does with the line, but
   * the call is not kept open, as the pair is already known.
   */
  pushPrebuiltEntry(line: PrebuiltLine): void {
    if (!this.readPrebuilt(line)) return;
    const previous = this.open.get(line.pid);
    if (previous !== undefined) {
      this.open.delete(line.pid);
      this.emitUnfinished(previous);
    }
  }

  /** Takes the resumed line of a pushPrebuiltEntry: the record is emitted as the event of the pair, with the entry's time. */
  pushPrebuiltResumed(line: Extra & PrebuiltLine, entry: PrebuiltLine): void {
    if (!this.readPrebuilt(line)) return;
    line.time = entry.time;
    this.output(line, false);
  }

  /**
   * What push does first with every line, for a prebuilt one: counts it,
   * reads its stamp (-r sums, midnights; its time goes in `time`) and gives
   * it its pid. False after the -c table, where lines are not read.
   */
  private readPrebuilt(line: PrebuiltLine): boolean {
    this.lineNumber++;
    if (this.inSummary) return false;
    if (line.stampKind === PrebuiltStamp.CLOCK) {
      this.clock.advanceDay(line.stamp);
      line.time = this.clock.day;
    } else if (line.stampKind === PrebuiltStamp.RELATIVE) {
      line.time = this.clock.addRelativeMicros(line.stamp);
    }
    line.pid = this.pidOf(line.pid);
    return true;
  }

  /** Counts lines that are neither data nor errors (blank, strace's own messages) without reading them. */
  skipLines(count: number): void {
    this.lineNumber += count;
  }

  /** Some records are held back until the pid of unprefixed lines is known. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** The pid an unprefixed line would get now (0 while unknown): a guess for lines scanned ahead. */
  get unprefixedPidNow(): number {
    return this.unprefixedPid === UNKNOWN ? 0 : this.unprefixedPid;
  }

  /** `YYYY-MM-DDT` of a day of -t/-tt stamps (midnights after `date`). */
  dayPrefix(day: number): string {
    return this.clock.dayPrefix(day);
  }

  /** Ends the trace: calls never resumed are emitted, held events are released. */
  end(): void {
    for (const call of [...this.open.values()]) this.emitUnfinished(call);
    this.open.clear();
    this.release();
  }

  private resume(pid: number, explicit: boolean, timestamp: string): void {
    const s = this.scanned;
    let key = pid;
    let call = this.open.get(pid);
    if (call === undefined || call.name !== s.name) {
      // One half of the pair lost its prefix: take the open call with that name
      // (the one of unknown pid first, else the oldest). Two prefixed halves never pair this way.
      call = undefined;
      for (const [k, c] of this.open) {
        if (c.name !== s.name || (explicit && c.explicit)) continue;
        if (call === undefined || k === UNKNOWN) {
          call = c;
          key = k;
        }
      }
    }
    if (call === undefined) {
      // The trace began inside this call: the entry half is not in it.
      const event = makeEvent(pid, s.name, s.args, s.ret, s.latencyNs, s.error, timestamp);
      if (s.retPath !== '') event.ret_path = s.retPath;
      this.output(event, pid === UNKNOWN);
      if (s.ret === '?') this.callEnded(s.name, pid);
      return;
    }
    this.open.delete(key);
    let eventPid = call.explicit ? call.pid : explicit || call.pid === UNKNOWN ? pid : call.pid;
    if (call.pid === UNKNOWN && explicit) {
      this.learnPid(pid);
      eventPid = pid;
    }
    const event = makeEvent(eventPid, s.name, call.args + s.args, s.ret, s.latencyNs, s.error, call.timestamp);
    if (s.retPath !== '') event.ret_path = s.retPath;
    this.output(event, eventPid === UNKNOWN);
    if (s.ret === '?') this.callEnded(s.name, eventPid);
  }

  /** The pid of a line with this prefix pid (-1: none), noting the process as alive. */
  private pidOf(prefixPid: number): number {
    if (prefixPid >= 0) {
      if (prefixPid !== this.lastPrefixPid) {
        this.lastPrefixPid = prefixPid;
        if (!this.alive.has(prefixPid)) {
          this.alive.add(prefixPid);
          this.refreshUnprefixedPid();
        }
      }
      return prefixPid;
    }
    const pid = this.unprefixedPid;
    if (pid !== UNKNOWN) this.lastSolePid = pid;
    return pid;
  }

  /** `exit_group(…) = ?` / `exit(…) = ?`: that process is gone even if no `+++` line follows (-qq). */
  private callEnded(name: string, pid: number): void {
    if (pid !== UNKNOWN && (name === 'exit_group' || name === 'exit')) this.forget(pid);
  }

  private forget(pid: number): void {
    if (pid === this.lastPrefixPid) this.lastPrefixPid = -2;
    if (this.alive.delete(pid)) this.refreshUnprefixedPid();
  }

  private refreshUnprefixedPid(): void {
    let first = UNKNOWN;
    for (const p of this.alive) {
      first = p;
      break;
    }
    this.unprefixedPid = first !== UNKNOWN ? first : this.lastSolePid;
  }

  /** The pid of unprefixed lines is now known: fix the records that waited for it. */
  private learnPid(pid: number): void {
    if (!this.alive.has(pid)) this.alive.add(pid);
    this.lastSolePid = pid;
    this.refreshUnprefixedPid();
    for (const record of this.unresolved) record.pid = pid;
    this.unresolved = [];
    const call = this.open.get(UNKNOWN);
    if (call !== undefined && !this.open.has(pid)) {
      this.open.delete(UNKNOWN);
      call.pid = pid;
      this.open.set(pid, call);
    }
    this.release();
  }

  private output(record: TraceRecord | Extra, pidUnknown: boolean): void {
    if (pidUnknown) {
      (record as { pid: number }).pid = 0;
      if (!this.gaveUpWaiting) {
        this.held ??= [];
        this.unresolved.push(record as { pid: number });
      }
    }
    if (this.held === null) {
      this.emit(record);
      return;
    }
    this.held.push(record);
    if (this.held.length >= this.pidLookahead) {
      // Waited long enough: out they go with pid 0.
      this.gaveUpWaiting = true;
      this.release();
    }
  }

  private release(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.unresolved = [];
    for (const record of held) this.emit(record);
  }

  private emitUnfinished(call: OpenCall): void {
    const event = makeEvent(call.pid, call.name, call.args, '?', 0, '', call.timestamp);
    event.unfinished = true;
    this.output(event, call.pid === UNKNOWN);
  }
}

/** One shape for every event, so V8 keeps a single hidden class and JSON.stringify stays on its fast path. */
function makeEvent(
  pid: number,
  name: string,
  args: string,
  ret: string,
  latency_ns: number,
  error: string,
  timestamp: string,
): SyscallEvent {
  return { pid, name, args, ret, latency_ns, error, timestamp };
}

function exitRecord(pid: number, what: string, detail: string, timestamp: string): ExitRecord {
  const text = detail === '' ? what : `${what} ${detail}`;
  const record: ExitRecord = { type: 'exit', pid, text, timestamp };
  if (what === 'exited' && detail.startsWith('with ')) {
    const status = Number(detail.slice(5));
    if (Number.isSafeInteger(status)) record.status = status;
  } else if (what === 'killed' && detail.startsWith('by ')) {
    const rest = detail.slice(3);
    const space = rest.indexOf(' ');
    record.signal = space === -1 ? rest : rest.slice(0, space);
    if (rest.includes('(core dumped)')) record.core_dumped = true;
  }
  return record;
}
