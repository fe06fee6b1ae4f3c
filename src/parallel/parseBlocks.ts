/**
 * The two halves of the parallel `parse`.
 *
 * Scanning a strace line and writing its JSON is nearly all of the work, and
 * for most lines it needs nothing from the lines before; pairing
 * `<unfinished ...>` with `<... resumed>`, the pid of unprefixed lines, -r
 * sums and midnights do. So a worker's BlockScanner scans a block of lines on
 * its own and writes the JSON of each plain syscall line — and of each
 * unfinished/resumed pair it can tell is one (see BlockScanner) — with its
 * best guess of pid and time, and describes every line in `ops`. The main
 * thread's ParseAssembler replays the ops, in input order, through the one
 * real StraceParser: it decides each event's pid and time and sends the
 * written bytes on when the guess was right (patching -r and -t times in
 * place; a time is always 27 characters), and rewrites the pid otherwise.
 * Every other line (unfinished or resumed without its half, `= ?`, signals,
 * exits, strace messages, invalid lines, getpid-like calls without a prefix)
 * goes to the parser as text. The
 * output is byte for byte what the parser writes alone
 * (test/parallel/parseBlocks.test.ts splits every fixture everywhere).
 */

import type { TraceRecord } from '../event.js';
import { forEachLine, forEachLineAt, lend } from '../lines.js';
import { eventJsonHead, eventJsonTail, nameField, normalizedNaming, normalizedRecordToJson, parsedRecordToJson, RAW_LINE_END } from '../strace/json.js';
import { newScannedLine, scanStraceRange } from '../strace/line.js';
import { PrebuiltStamp, SELF_PID_CALLS, StraceParser, type PrebuiltLine, type StraceParserOptions } from '../strace/parser.js';
import { TraceClock, writeIsoTime, type TraceClockOptions } from '../strace/timestamps.js';

/** Op codes, each followed by its operands in `ops`. */
const OP_SKIP = 0; // count: lines that are blank or strace's chatter
const OP_TEXT = 1; // (none): the next line of `lines`, for the parser to read
const OP_OVERSIZED = 2; // length: a line over the length cap
const OP_EVENT = 3; // stampKind | day << 2, prefixPid, stamp, guessedPid, timeStart, end: a plain syscall line written to `bytes`
const OP_ENTRY_TEXT = 4; // (3 unused): an `<unfinished ...>` line that found no resumed half in the block, read like OP_TEXT
const OP_ENTRY = 5; // stampKind, prefixPid, stamp: an `<unfinished ...>` line whose resumed half is written as OP_RESUMED (its place in `lines` left empty)
const OP_RESUMED = 6; // as OP_EVENT, with the day of the entry's time: the event of a resumed line and its entry half

/** How many numbers each op takes in `ops`, code included. */
const OP_LENGTH = [2, 1, 2, 7, 4, 4, 7];

const INT32_MAX = 0x7fffffff;
const DAY_PREFIX_LENGTH = 11;
const STAMP_KIND_BITS = 2;
const STAMP_KIND_MASK = (1 << STAMP_KIND_BITS) - 1;
/** `{"pid":` */
const PID_KEY_LENGTH = 7;
/** Output buffers kept to fill again once written: a few cover the chunks a writer has in flight. */
const MAX_SPARE_BUFFERS = 4;

export interface ScanOptions extends TraceClockOptions {
  /** Canonical names, category and raw_name (parse's default) rather than strace's names. */
  normalize: boolean;
  maxLineBytes: number;
}

/** What the main thread knows when it hands a block out: the scanner's guesses. */
export interface BlockHint {
  /** The pid of unprefixed lines now (0: unknown). */
  pid: number;
}

/** The memory of a ScannedBlock done with, for the next one. */
export interface RecycledMemory {
  bytes: ArrayBuffer;
  ops: ArrayBuffer;
}

/** A scanned block: the JSON of its plain syscall lines and how to replay every line. */
export interface ScannedBlock {
  /** UTF-8 JSON lines, each with its "\n", in line order. */
  bytes: Uint8Array;
  ops: Int32Array;
  /** The lines of OP_TEXT, in order. */
  lines: string[];
}

/**
 * The `<unfinished ...>` line of a pid that may find its `<... resumed>` line
 * further in the block: the pair is then written as one event.
 */
interface PendingEntry {
  /** Its op (OP_ENTRY_TEXT until the pair is found) and its place in `lines`. */
  op: number;
  line: number;
  name: string;
  args: string;
  stampKind: number;
  stamp: number;
  time: string;
}

/**
 * Worker half: a block of whole lines → ScannedBlock. No state is kept from one block to the next.
 *
 * An `<unfinished ...>` / `<... resumed>` pair of one prefixed pid within the
 * block is written as one event (OP_ENTRY, OP_RESUMED) when no line between
 * them could change which call the resumed line completes for the parser: an
 * unprefixed line (its pid may be that one), an exit, an attach or detach,
 * the `-c` table, another entry or resumed line of that pid. Anything else
 * about the pair is the parser's, as for any line: its time, an earlier open
 * call of the pid, events held back.
 */
export class BlockScanner {
  private readonly scanned = newScannedLine();
  /** Read by readStamp: the line's stamp kind (PrebuiltStamp | day << 2), its operand and the time to write. */
  private stampKind = 0;
  private stamp = 0;
  private time = '';

  constructor(private readonly options: ScanOptions) {}

  /** Scans `text`; the memory of a block done with (`recycled`) is written over rather than allocating anew. */
  scan(text: string, hint: BlockHint, recycled?: RecycledMemory): ScannedBlock {
    const out = new BlockWriter(text.length, recycled);
    const lines: string[] = [];
    const { normalize, maxLineBytes } = this.options;
    const s = this.scanned;
    // Midnights are counted from the block's first line, -r sums not at all: the parser puts both right.
    const clock = new TraceClock(this.options);
    const entries = new Map<number, PendingEntry>();
    let skipped = 0;
    const flushSkipped = (): void => {
      if (skipped > 0) out.op2(OP_SKIP, skipped);
      skipped = 0;
    };
    const asText = (start: number, end: number): void => {
      flushSkipped();
      out.op1(OP_TEXT);
      lines.push(text.slice(start, end));
    };
    const writeEvent = (op: number, pid: number, name: string, args: string, time: string): void => {
      flushSkipped();
      const naming = normalize ? normalizedNaming(name) : undefined;
      const guessedPid = pid >= 0 ? pid : hint.pid;
      const timeStart = out.text(eventJsonHead(guessedPid, naming === undefined ? nameField(name) : naming.field, args, s.ret, s.latencyNs, s.error));
      out.text(time);
      let lineEnd = naming === undefined ? RAW_LINE_END : naming.lineEnd;
      // A -y decoration of the result is rare: that line's end is put together here.
      if (s.retPath !== '') lineEnd = eventJsonTail(s.retPath, undefined, (naming === undefined ? '}' : naming.tail) + '\n');
      const end = out.text(lineEnd);
      out.opEvent(op, this.stampKind, pid, this.stamp, guessedPid, timeStart, end);
    };

    forEachLineAt(
      text,
      maxLineBytes,
      (start, end) => {
        scanStraceRange(text, start, end, s);
        const kind = s.kind;
        if (kind === 'blank' || kind === 'info') {
          skipped++;
          return;
        }
        const pid = s.pid;
        if (kind === 'syscall') {
          if (pid < 0 && entries.size > 0) entries.clear();
          if (s.ret === '?' || pid > INT32_MAX || (pid < 0 && SELF_PID_CALLS.has(s.name)) || !this.readStamp(text, clock)) return asText(start, end);
          return writeEvent(OP_EVENT, pid, s.name, s.args, this.time);
        }
        if (pid < 0 || kind === 'exit' || kind === 'attached' || kind === 'detached' || kind === 'summary') {
          entries.clear();
          return asText(start, end);
        }
        if (kind === 'unfinished') {
          entries.delete(pid);
          if (pid > INT32_MAX || !this.readStamp(text, clock)) return asText(start, end);
          flushSkipped();
          const op = out.op4(OP_ENTRY_TEXT, 0, 0, 0);
          entries.set(pid, { op, line: lines.length, name: s.name, args: s.args, stampKind: this.stampKind, stamp: this.stamp, time: this.time });
          lines.push(text.slice(start, end));
          return;
        }
        if (kind === 'resumed') {
          const entry = entries.get(pid);
          if (entry === undefined) return asText(start, end);
          entries.delete(pid);
          if (entry.name !== s.name || s.ret === '?' || !this.readStamp(text, clock) || (this.stampKind & STAMP_KIND_MASK) !== (entry.stampKind & STAMP_KIND_MASK)) {
            return asText(start, end);
          }
          out.setOp4(entry.op, OP_ENTRY, entry.stampKind & STAMP_KIND_MASK, pid, entry.stamp);
          lines[entry.line] = '';
          // The event of the pair has the entry's time: the day written is the entry's, the stamp read the resumed line's.
          this.stampKind = entry.stampKind;
          return writeEvent(OP_RESUMED, pid, s.name, entry.args + s.args, entry.time);
        }
        // Signals and invalid lines leave every call as it was.
        asText(start, end);
      },
      (length) => {
        flushSkipped();
        out.op2(OP_OVERSIZED, length);
      },
    );
    flushSkipped();
    return { ...out.finish(), lines };
  }

  /**
   * Reads the stamp of the line just scanned (in `text`) for an event written here: its kind,
   * what the parser needs of it and the time to write (its own, or a guess the
   * parser patches). False when it cannot be carried in an op.
   */
  private readStamp(text: string, clock: TraceClock): boolean {
    const s = this.scanned;
    let stampKind: number = PrebuiltStamp.FIXED;
    let stamp = 0;
    let time = clock.startIso;
    if (s.stampKind === 'clock') {
      stamp = TraceClock.secondOfDay(text, s.stampStart);
      time = clock.read(text, 'clock', s.stampStart, s.stampEnd);
      stampKind = PrebuiltStamp.CLOCK | (clock.day << STAMP_KIND_BITS);
    } else if (s.stampKind === 'seconds') {
      stamp = TraceClock.relativeMicros(text, s.stampStart, s.stampEnd);
      if (stamp > INT32_MAX) return false;
      if (stamp >= 0) stampKind = PrebuiltStamp.RELATIVE;
      else time = clock.read(text, 'seconds', s.stampStart, s.stampEnd);
    }
    this.stampKind = stampKind;
    this.stamp = stamp;
    this.time = time;
    return true;
  }
}

/**
 * The scanner's output buffer: JSON text is gathered in ~64 KiB strings and
 * encoded into one growing byte buffer; ops keep offsets, which are turned
 * from characters into bytes for a batch that was not all ASCII.
 */
class BlockWriter {
  private bytes: Buffer;
  private size = 0;
  private batch = '';
  private ops: Int32Array;
  private opCount = 0;
  /** Index in ops of the first event (OP_EVENT, OP_RESUMED) of the batch. */
  private batchFirstOp = -1;

  constructor(inputLength: number, recycled?: RecycledMemory) {
    const size = Math.max(64 * 1024, inputLength * 3);
    // Fresh memory costs a page fault per 4 KiB on first touch: the buffers of a block done with are reused,
    // and made with room over, as blocks differ by a line or so (else half of them would not fit the last one's).
    this.bytes = recycled !== undefined && recycled.bytes.byteLength >= size ? Buffer.from(recycled.bytes) : Buffer.allocUnsafeSlow(size + (size >> 3));
    this.ops = recycled !== undefined ? new Int32Array(recycled.ops) : new Int32Array(4096);
  }

  /** Appends JSON text; returns the byte offset (in characters while batched) right after it. */
  text(text: string): number {
    this.batch += text;
    return this.size + this.batch.length;
  }

  op1(code: number): void {
    this.reserve(1);
    this.ops[this.opCount++] = code;
  }

  op2(code: number, operand: number): void {
    this.reserve(2);
    this.ops[this.opCount++] = code;
    this.ops[this.opCount++] = operand;
  }

  /** Appends a 4-number op; returns where it is, for setOp4. */
  op4(code: number, a: number, b: number, c: number): number {
    this.reserve(4);
    const at = this.opCount;
    this.setOp4(at, code, a, b, c);
    this.opCount = at + 4;
    return at;
  }

  setOp4(at: number, code: number, a: number, b: number, c: number): void {
    const ops = this.ops;
    ops[at] = code;
    ops[at + 1] = a;
    ops[at + 2] = b;
    ops[at + 3] = c;
  }

  /** OP_EVENT or OP_RESUMED. */
  opEvent(code: number, stampKind: number, prefixPid: number, stamp: number, guessedPid: number, timeStart: number, end: number): void {
    this.reserve(7);
    const ops = this.ops;
    let n = this.opCount;
    if (this.batchFirstOp === -1) this.batchFirstOp = n;
    ops[n++] = code;
    ops[n++] = stampKind;
    ops[n++] = prefixPid;
    ops[n++] = stamp;
    ops[n++] = guessedPid;
    ops[n++] = timeStart;
    ops[n++] = end;
    this.opCount = n;
    if (this.batch.length >= 64 * 1024) this.flushBatch();
  }

  finish(): { bytes: Uint8Array; ops: Int32Array } {
    this.flushBatch();
    return { bytes: this.bytes.subarray(0, this.size), ops: this.ops.subarray(0, this.opCount) };
  }

  private reserve(count: number): void {
    if (this.opCount + count <= this.ops.length) return;
    const grown = new Int32Array(this.ops.length * 2);
    grown.set(this.ops.subarray(0, this.opCount));
    this.ops = grown;
  }

  private flushBatch(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = '';
    const base = this.size;
    if (this.bytes.length - base < batch.length * 3) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, base + batch.length * 3));
      this.bytes.copy(grown, 0, 0, base);
      this.bytes = grown;
    }
    const written = this.bytes.write(batch, base);
    this.size = base + written;
    if (written !== batch.length) this.toByteOffsets(batch, base);
    this.batchFirstOp = -1;
  }

  /** A batch with non-ASCII characters: its ops' offsets, counted in characters, are recounted in bytes. */
  private toByteOffsets(batch: string, base: number): void {
    const ops = this.ops;
    let chars = 0;
    let bytes = 0;
    const toBytes = (offset: number): number => {
      const at = offset - base;
      bytes += Buffer.byteLength(batch.slice(chars, at));
      chars = at;
      return base + bytes;
    };
    for (let i = this.batchFirstOp; i < this.opCount; i += OP_LENGTH[ops[i]!]!) {
      if (ops[i] === OP_EVENT || ops[i] === OP_RESUMED) {
        ops[i + 5] = toBytes(ops[i + 5]!);
        ops[i + 6] = toBytes(ops[i + 6]!);
      }
    }
  }
}

/** A plain syscall line of a scanned block, as the parser sees it, with where its JSON is. */
class PrebuiltEvent implements PrebuiltLine {
  pid = 0;
  stampKind: PrebuiltStamp = PrebuiltStamp.FIXED;
  stamp = 0;
  time = 0;
  /** The day the scanner wrote in a CLOCK time. */
  writtenDay = 0;
  guessedPid = 0;
  bytes: Uint8Array = EMPTY;
  start = 0;
  timeStart = 0;
  end = 0;
}

const EMPTY = new Uint8Array(0);

export interface AssemblerOptions extends StraceParserOptions {
  /** Canonical names, category and raw_name (parse's default) rather than strace's names: as the scanner's. */
  normalize: boolean;
  maxLineBytes: number;
  /** Told about each line skipped for its length (1-based line number, characters). It may throw to stop. */
  onOversizedLine?: (lineNumber: number, length: number) => void;
}

/**
 * Main-thread half, and the whole of `parse` when there are no workers:
 * lines (`pushLines`) or scanned blocks (`pushBlock`) in, in input order;
 * NDJSON bytes out (`take`).
 */
export class ParseAssembler {
  private readonly parser: StraceParser<PrebuiltEvent>;
  private readonly toJson: (record: TraceRecord) => string;
  private readonly maxLineBytes: number;
  private readonly onOversizedLine: ((lineNumber: number, length: number) => void) | undefined;
  /** The NDJSON not taken yet: out[0, size). */
  private out: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private size = 0;
  /** Buffers taken and written out since (see take). */
  private readonly spare: Buffer[] = [];
  /** JSON lines of records the parser made itself, not yet in `out`. */
  private text = '';
  /** Scanned bytes going out as they are: [runStart, runEnd) of runBytes. */
  private runBytes: Uint8Array | undefined;
  private runStart = 0;
  private runEnd = 0;
  /** The last prebuilt event written (to tell whether the parser kept hold of one). */
  private written: PrebuiltEvent | undefined;
  /** The entry halves (OP_ENTRY) whose resumed half (OP_RESUMED, the same prefix pid) is still to come. */
  private readonly entries = new Map<number, PrebuiltLine>();

  constructor(options: AssemblerOptions) {
    this.toJson = options.normalize ? normalizedRecordToJson : parsedRecordToJson;
    this.maxLineBytes = options.maxLineBytes;
    this.onOversizedLine = options.onOversizedLine;
    this.parser = new StraceParser<PrebuiltEvent>(options, (record) => {
      if (record instanceof PrebuiltEvent) this.writePrebuilt(record);
      else {
        this.closeRun();
        this.text += this.toJson(record) + '\n';
        if (this.text.length >= 16 * 1024) this.flushText();
      }
    });
  }

  /** The guesses for a block handed out now. */
  hint(): BlockHint {
    return { pid: this.parser.unprefixedPidNow };
  }

  /** Parses every line of `lines`, each ending in "\n" (a last line without one is read to the end); a CR before the newline is dropped. */
  pushLines(lines: string): void {
    forEachLine(lines, this.maxLineBytes, this.pushLine, this.pushOversized);
  }

  private readonly pushLine = (line: string): void => this.parser.push(line);

  /** Counts a line that was too long to keep: reported, then read as a blank line. */
  readonly pushOversized = (length: number): void => {
    this.onOversizedLine?.(this.parser.lines + 1, length);
    this.parser.push('');
  };

  /** Replays a block a BlockScanner scanned (the lines right after those pushed so far). */
  pushBlock(block: ScannedBlock): void {
    const { ops, bytes, lines } = block;
    const parser = this.parser;
    this.reserve(bytes.length);
    let line = 0;
    let start = 0;
    // One event object serves line after line until the parser holds one back (pid not known yet).
    let spare: PrebuiltEvent | undefined;
    for (let i = 0; i < ops.length; ) {
      const code = ops[i];
      switch (code) {
        case OP_EVENT:
        case OP_RESUMED: {
          const event = spare ?? new PrebuiltEvent();
          const kindAndDay = ops[i + 1]!;
          event.stampKind = (kindAndDay & STAMP_KIND_MASK) as PrebuiltStamp;
          event.writtenDay = kindAndDay >> STAMP_KIND_BITS;
          event.pid = ops[i + 2]!;
          event.stamp = ops[i + 3]!;
          event.guessedPid = ops[i + 4]!;
          event.bytes = bytes;
          event.start = start;
          event.timeStart = ops[i + 5]!;
          event.end = start = ops[i + 6]!;
          this.written = undefined;
          if (code === OP_EVENT) {
            parser.pushPrebuilt(event);
          } else {
            const entry = this.entries.get(event.pid)!;
            this.entries.delete(event.pid);
            parser.pushPrebuiltResumed(event, entry);
          }
          spare = this.written === event ? event : undefined;
          i += 7;
          break;
        }
        case OP_ENTRY: {
          const entry: PrebuiltLine = { stampKind: ops[i + 1] as PrebuiltStamp, pid: ops[i + 2]!, stamp: ops[i + 3]!, time: 0 };
          // Keyed by the prefix pid, which the resumed half has too; the parser turns `pid` into the event's.
          this.entries.set(entry.pid, entry);
          parser.pushPrebuiltEntry(entry);
          line++;
          i += 4;
          break;
        }
        case OP_SKIP:
          parser.skipLines(ops[i + 1]!);
          i += 2;
          break;
        case OP_TEXT:
        case OP_ENTRY_TEXT:
          parser.push(lines[line++]!);
          i += OP_LENGTH[code]!;
          break;
        default:
          this.pushOversized(ops[i + 1]!);
          i += 2;
      }
    }
    // Nothing but held events refers to the block's memory after this (see recyclable).
    this.closeRun();
  }

  /**
   * The memory of a block pushed, once nothing refers to it any more (its
   * bytes were copied out, and the parser holds no event of it back), else
   * undefined.
   */
  recyclable(block: ScannedBlock): RecycledMemory | undefined {
    if (this.parser.holding) return undefined;
    return { bytes: block.bytes.buffer as ArrayBuffer, ops: block.ops.buffer as ArrayBuffer };
  }

  /** Ends the trace: calls never resumed are emitted, held events are released. */
  end(): void {
    this.parser.end();
  }

  /**
   * The NDJSON bytes completed since the last call (whole lines), if any.
   * They are lent (io.ts `lend`): once a BatchedWriter has written them, their
   * memory is filled again — fresh memory for every chunk cost page faults and
   * garbage collections (V8 counts each new buffer, and collects at a limit).
   */
  take(): Uint8Array | undefined {
    this.closeRun();
    this.flushText();
    if (this.size === 0) return undefined;
    const out = this.out;
    const taken = lend(out.subarray(0, this.size), () => {
      if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(out);
    });
    // The next buffer: one written out already, else one as big as this one turned out to be (the blocks are much alike).
    this.out = this.spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(64 * 1024, this.size));
    this.size = 0;
    return taken;
  }

  private writePrebuilt(event: PrebuiltEvent): void {
    this.written = event;
    const bytes = event.bytes;
    // The time: an -r one is always written here; a -t/-tt one only when its day is not the one the scanner assumed.
    if (event.stampKind === PrebuiltStamp.RELATIVE) writeIsoTime(event.time, bytes, event.timeStart);
    else if (event.stampKind === PrebuiltStamp.CLOCK && event.time !== event.writtenDay) {
      writeAscii(bytes, event.timeStart, this.parser.dayPrefix(event.time), DAY_PREFIX_LENGTH);
    }
    let from = event.start;
    if (event.pid !== event.guessedPid) {
      const digits = digitCount(event.guessedPid);
      if (digitCount(event.pid) === digits) {
        // As long as the guess (a trace's pids mostly are): written over it, the line stays in the run.
        writeDigits(bytes, from + PID_KEY_LENGTH, event.pid, digits);
      } else {
        this.closeRun();
        this.text += '{"pid":' + event.pid;
        from += PID_KEY_LENGTH + digits;
      }
    }
    if (bytes === this.runBytes && from === this.runEnd && this.text.length === 0) {
      this.runEnd = event.end;
      return;
    }
    this.closeRun();
    this.flushText();
    this.runBytes = bytes;
    this.runStart = from;
    this.runEnd = event.end;
  }

  private closeRun(): void {
    const length = this.runEnd - this.runStart;
    if (length > 0) {
      this.reserve(length);
      this.out.set(this.runBytes!.subarray(this.runStart, this.runEnd), this.size);
      this.size += length;
    }
    this.runStart = this.runEnd;
  }

  private flushText(): void {
    const text = this.text;
    if (text.length === 0) return;
    this.reserve(text.length * 3);
    this.size += this.out.write(text, this.size);
    this.text = '';
  }

  /** Room for `bytes` more in `out`. */
  private reserve(bytes: number): void {
    if (this.size + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, this.size + bytes));
    this.out.copy(grown, 0, 0, this.size);
    this.out = grown;
  }
}

function digitCount(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Writes the `digits` decimal digits of `n` at bytes[at…]. */
function writeDigits(bytes: Uint8Array, at: number, n: number, digits: number): void {
  for (let i = at + digits - 1; i >= at; i--) {
    const rest = Math.floor(n / 10);
    bytes[i] = 48 + n - rest * 10;
    n = rest;
  }
}

function writeAscii(bytes: Uint8Array, at: number, text: string, length: number): void {
  for (let i = 0; i < length; i++) bytes[at + i] = text.charCodeAt(i);
}
