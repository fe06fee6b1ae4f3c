/**
 * The edges of every pipeline: bytes in → lines (with flow control), records
 * out → batched writes that honour backpressure and a closed downstream, and
 * the signals that end a run. Operators never touch streams; commands wire
 * them together with `runPipeline`.
 */
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Observable, Subscription, concat, defer, map, type OperatorFunction } from 'rxjs';
import { StracectlError, diagnostic, EXIT } from './errors.js';
import { decodeLines, forEachLine, lenderOf } from './lines.js';
import { serializeRecord, type StatsRecord, type TraceRecord } from './event.js';

/** Lines longer than this are skipped with a warning instead of buffered without bound. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;


/**
 * Pauses and resumes whatever input is currently flowing. Several parties
 * may hold the input back at once (a congested stdout, a busy server, a sink
 * waiting on its network): each pause() is matched by one resume(), and the
 * input flows again only when no one holds it.
 */
export class FlowControl {
  private current: Readable | undefined;
  private holds = 0;

  attach(stream: Readable): void {
    this.current = stream;
    if (this.holds > 0) stream.pause();
  }

  detach(stream: Readable): void {
    if (this.current === stream) this.current = undefined;
  }

  get paused(): boolean {
    return this.holds > 0;
  }

  pause(): void {
    this.holds++;
    this.current?.pause();
  }

  resume(): void {
    if (this.holds === 0) return;
    this.holds--;
    if (this.holds === 0) this.current?.resume();
  }
}

export interface LineSourceOptions {
  /** Name used in diagnostics (`stdin`, a file path). */
  name: string;
  flow?: FlowControl;
  maxLineBytes?: number;
  /** Called for a line dropped for its length; the line still counts for numbering (an empty string is emitted). */
  onOversizedLine?: (location: string, length: number) => void;
}

/**
 * Emits every line of a byte stream without its terminator ("\n" or "\r\n"),
 * blank lines included so consumers can number lines. A final line without a
 * newline is emitted too. Unsubscribing stops reading.
 */
export function linesFromStream(stream: Readable, options: LineSourceOptions): Observable<string> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return new Observable<string>((subscriber) => {
    let lineNumber = 0;
    // A line over the cap still counts for numbering: an empty string in its place.
    const oversized = (length: number): void => {
      lineNumber++;
      options.onOversizedLine?.(`${options.name}:${lineNumber}`, length);
      subscriber.next('');
    };
    return lineChunksFromStream(stream, { name: options.name, flow: options.flow, maxLineBytes }).subscribe({
      next: (chunk) => {
        if (typeof chunk !== 'string') return oversized(chunk.oversized);
        forEachLine(
          chunk,
          maxLineBytes,
          (line) => {
            lineNumber++;
            subscriber.next(line);
          },
          oversized,
          () => subscriber.closed,
        );
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
}

/** A line dropped for its length, in a stream of line chunks. */
export interface OversizedLine {
  /** How long it was (its terminator not counted): bytes when it outgrew the cap across reads, else characters. */
  readonly oversized: number;
}

/**
 * A run of whole lines as bytes, each ending in "\n" (the input's last line
 * gets one if it had none), or one line over the length cap. CRs are left in.
 * The bytes are a copy of the input's, so their memory may be handed to
 * another thread.
 */
export type LineBlock = Uint8Array | OversizedLine;

/** A run of whole lines as text (LineBlock decoded), or one line over the length cap. */
export type LineChunk = string | OversizedLine;

export interface LineChunkSourceOptions {
  /** Name used in diagnostics (`stdin`, a file path). */
  name: string;
  flow?: FlowControl;
  /** A line that outgrows this while it is being read is dropped (an OversizedLine in its place). */
  maxLineBytes?: number;
}

/**
 * Emits a byte stream as runs of whole lines — one per chunk read, as bytes —
 * for hot paths that split lines themselves by index instead of paying an
 * emission and a string per line, or that hand them to other threads. The
 * consumer checks each line it splits against `maxLineBytes`: only a line
 * that outgrows the cap across reads is cut here, and comes as one
 * OversizedLine. Unsubscribing stops reading.
 */
export function lineBlocksFromStream(stream: Readable, options: LineChunkSourceOptions): Observable<LineBlock> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return new Observable<LineBlock>((subscriber) => {
    // The partial last line of the reads so far.
    let pending: Buffer[] = [];
    let pendingLength = 0;
    let dropped = -1; // ≥ 0 while skipping the rest of an oversized line: its bytes so far

    const keep = (rest: Buffer): void => {
      if (pendingLength + rest.length > maxLineBytes) {
        dropped = pendingLength + rest.length;
        pending = [];
        pendingLength = 0;
      } else {
        pending.push(rest);
        pendingLength += rest.length;
      }
    };

    const onData = (data: Buffer | string): void => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      let from = 0;
      if (dropped >= 0) {
        const newline = chunk.indexOf(NEWLINE);
        if (newline === -1) {
          dropped += chunk.length;
          return;
        }
        subscriber.next({ oversized: dropped + newline });
        dropped = -1;
        if (subscriber.closed) return;
        from = newline + 1;
      }
      const last = chunk.lastIndexOf(NEWLINE);
      if (last < from) {
        if (from < chunk.length) keep(chunk.subarray(from));
        return;
      }
      const lines = chunk.subarray(from, last + 1);
      // A copy either way: the read's own buffer may be reused (and is not ours to give away).
      const whole = pendingLength === 0 ? Buffer.from(lines) : Buffer.concat([...pending, lines], pendingLength + lines.length);
      pending = [];
      pendingLength = 0;
      subscriber.next(whole);
      if (last < chunk.length - 1) keep(chunk.subarray(last + 1));
    };
    const onEnd = (): void => {
      if (dropped >= 0) subscriber.next({ oversized: dropped });
      else if (pendingLength > 0) subscriber.next(Buffer.concat([...pending, FINAL_NEWLINE], pendingLength + 1));
      pending = [];
      subscriber.complete();
    };
    return readStream(stream, options, subscriber, onData, onEnd);
  });
}

const NEWLINE = 10;
const FINAL_NEWLINE = Buffer.from('\n');

/** lineBlocksFromStream with each run of lines decoded to text. */
export function lineChunksFromStream(stream: Readable, options: LineChunkSourceOptions): Observable<LineChunk> {
  return lineBlocksFromStream(stream, options).pipe(map((block) => (block instanceof Uint8Array ? decodeLines(block) : block)));
}

/** Line blocks of each named file in turn (`-` means stdin), or of stdin when no file is given. */
export function lineBlocksFromInputs<T>(
  files: readonly string[],
  options: Omit<LineChunkSourceOptions, 'name'>,
  perFile: (name: string) => OperatorFunction<LineBlock, T>,
): Observable<T> {
  const names = files.length === 0 ? ['-'] : files;
  return concat(
    ...names.map((file) =>
      defer(() => {
        const name = file === '-' ? 'stdin' : file;
        const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_READ_BYTES });
        return lineBlocksFromStream(stream, { ...options, name }).pipe(perFile(name));
      }),
    ),
  );
}

/** Read size of lineBlocksFromInputs: big reads amortise the per-chunk work; 1 MiB keeps a chunk in cache-friendly reach. */
const CHUNK_READ_BYTES = 1024 * 1024;

function readError(error: NodeJS.ErrnoException, name: string): Error {
  return error.code === 'ENOENT' || error.code === 'EACCES' || error.code === 'EISDIR'
    ? new StracectlError('FILE_NOT_FOUND', `cannot read ${name}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)
    : error;
}

/** Lines of each named file in turn (`-` means stdin), or of stdin when no file is given. */
export function linesFromInputs(
  files: readonly string[],
  options: Omit<LineSourceOptions, 'name'>,
  perFile: (name: string) => OperatorFunction<string, TraceRecord | StatsRecord | string> = () => (source) => source,
): Observable<TraceRecord | StatsRecord | string> {
  const names = files.length === 0 ? ['-'] : files;
  return concat(
    ...names.map((file) =>
      defer(() => {
        const name = file === '-' ? 'stdin' : file;
        const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
        return linesFromStream(stream, { ...options, name }).pipe(perFile(name));
      }),
    ),
  );
}

/** Writes diagnostics to stderr the way every command does, and counts warnings. */
export class Diagnostics {
  warnings = 0;
  constructor(readonly command: string, private readonly stderr: Writable = process.stderr) {}

  warn(message: string): void {
    this.warnings++;
    this.stderr.write(diagnostic(this.command, message) + '\n');
  }

  info(message: string): void {
    this.stderr.write(diagnostic(this.command, message) + '\n');
  }
}

/**
 * Batches output lines into few large writes. A batch goes out when it
 * reaches `maxBatchBytes` or at the next turn of the event loop, so a live
 * pipeline never holds data back. When the destination is congested the
 * input is paused until it drains; when the reader goes away (EPIPE) the
 * writer reports it through `onClosed` and swallows the rest.
 */
export class BatchedWriter {
  private parts: string[] = [];
  private size = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private closedByReader = false;
  private waitingForDrain = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly out: Writable,
    private readonly options: { flow?: FlowControl; maxBatchBytes?: number; onClosed?: () => void } = {},
  ) {
    out.on('error', this.onError);
  }

  get closed(): boolean {
    return this.closedByReader;
  }

  /** Queues one line (a newline is appended). */
  writeLine(line: string): void {
    if (this.closedByReader) return;
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= (this.options.maxBatchBytes ?? 64 * 1024)) this.flush();
    else if (this.scheduled === undefined) this.scheduled = setImmediate(this.flush);
  }

  /** Queues bytes that already hold whole lines, after what was queued before; bytes lent (`lend`) are given back once written. */
  writeBytes(chunk: Uint8Array): void {
    if (this.closedByReader) return;
    this.flush();
    this.send(chunk, lenderOf(chunk));
  }

  /** Writes whatever is queued now. */
  flush = (): void => {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.parts.length === 0 || this.closedByReader) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.send(text);
  };

  private send(data: string | Uint8Array, onWritten?: () => void): void {
    const accepted =
      onWritten === undefined
        ? this.out.write(data)
        : this.out.write(data, (error) => {
            if (!error) onWritten();
          });
    if (!accepted && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.options.flow?.pause();
      this.out.once('drain', this.onDrain);
    }
  }

  /** Flushes and resolves once the destination has taken everything (or went away). */
  async end(): Promise<void> {
    this.flush();
    if (this.waitingForDrain && !this.closedByReader) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
    this.out.off('error', this.onError);
    // Keep a late EPIPE from becoming an uncaught exception after we are done.
    this.out.on('error', () => undefined);
  }

  private onDrain = (): void => {
    this.waitingForDrain = false;
    this.options.flow?.resume();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  };

  private onError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      this.closedByReader = true;
      this.parts = [];
      this.waitingForDrain = false;
      for (const resolve of this.drainWaiters.splice(0)) resolve();
      this.options.onClosed?.();
      return;
    }
    throw error;
  };
}

export interface PipelineOptions<T> {
  command: string;
  /** The whole chain: a source of records or strings, already piped through the operators. */
  build: (ctx: PipelineContext) => Observable<T>;
  /** How one output item becomes one line; defaults to `serializeRecord` for objects, identity for strings. Uint8Array items are written as they are (whole lines). */
  toLine?: (item: T) => string;
  output?: Writable;
  /** Told when the reader of the output went away (EPIPE): the run then ends as a success. */
  onReaderGone?: () => void;
}

export interface PipelineContext {
  flow: FlowControl;
  diagnostics: Diagnostics;
  /** Completes when SIGINT/SIGTERM arrives: sources use it to stop reading and let stages flush. */
  stop$: Observable<NodeJS.Signals>;
}

/**
 * Runs one pipeline to completion with the shared rules of every filter:
 * batched stdout, EPIPE → quiet exit 0, SIGINT/SIGTERM → stop reading, flush,
 * exit 130/143. Resolves with the exit status; never calls process.exit.
 */
export async function runPipeline<T>(options: PipelineOptions<T>): Promise<number> {
  const flow = new FlowControl();
  const diagnostics = new Diagnostics(options.command);
  let signalled: NodeJS.Signals | undefined;
  const stopListeners = new Set<(signal: NodeJS.Signals) => void>();
  const stop$ = new Observable<NodeJS.Signals>((subscriber) => {
    const listener = (signal: NodeJS.Signals): void => {
      subscriber.next(signal);
      subscriber.complete();
    };
    stopListeners.add(listener);
    return () => stopListeners.delete(listener);
  });
  let subscription: Subscription | undefined;
  const writer = new BatchedWriter(options.output ?? process.stdout, {
    flow,
    onClosed: () => {
      options.onReaderGone?.();
      subscription?.unsubscribe();
    },
  });
  const toLine = options.toLine ?? ((item: T) => (typeof item === 'string' ? item : serializeRecord(item as TraceRecord)));

  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined) return;
    signalled = signal;
    for (const listener of [...stopListeners]) listener(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await new Promise<void>((resolve, reject) => {
      subscription = options.build({ flow, diagnostics, stop$ }).subscribe({
        next: (item) => (item instanceof Uint8Array ? writer.writeBytes(item) : writer.writeLine(toLine(item))),
        error: reject,
        complete: resolve,
      });
      // An unsubscribe after EPIPE ends the run as a success.
      subscription.add(() => resolve());
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    subscription?.unsubscribe();
    await writer.end();
  }
  if (signalled === 'SIGINT') return EXIT.SIGINT;
  if (signalled === 'SIGTERM') return EXIT.SIGTERM;
  return EXIT.OK;
}

/**
 * Feeds `stream`'s chunks to `onData` and its end to `onEnd` under the flow control of `options`;
 * read errors go to `subscriber`. Returns the teardown: stop reading (a file stream is closed; stdin
 * is paused so the process can exit).
 */
function readStream(
  stream: Readable,
  options: { name: string; flow?: FlowControl },
  subscriber: { error: (error: unknown) => void },
  onData: (chunk: Buffer | string) => void,
  onEnd: () => void,
): () => void {
  const onError = (error: NodeJS.ErrnoException): void => {
    subscriber.error(readError(error, options.name));
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('error', onError);
  options.flow?.attach(stream);
  return () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    options.flow?.detach(stream);
    if (stream === process.stdin) stream.pause();
    else stream.destroy();
  };
}
