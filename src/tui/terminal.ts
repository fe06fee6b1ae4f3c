/**
 * The terminal around the live view: keys from the controlling terminal
 * (stdin is usually the event pipe, as with `less`), the alternate screen,
 * and a restore that runs on quit, on a crash and on SIGTERM, so the user's
 * shell never stays in raw mode with a hidden cursor.
 */
import { openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { StracectlError } from '../errors.js';

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';
const CLEAR_HOME = '\u001b[2J\u001b[H';
const SHOW_CURSOR = '\u001b[?25h';
const HIDE_CURSOR = '\u001b[?25l';
/** Leave the modes ink or a crashed frame may have set: synchronized output, bracketed paste, kitty keys, styles. */
const RESET_MODES = '\u001b[?2026l\u001b[?2004l\u001b[<u\u001b[0m';

/**
 * The keyboard: stdin when it is the terminal, else `/dev/tty` opened as a
 * tty.ReadStream (raw mode is set by ink while the view runs).
 */
export function openKeyboard(): ReadStream {
  if (process.stdin.isTTY) return process.stdin as ReadStream;
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch (error) {
    throw new StracectlError('USAGE', `the live view needs a terminal for keys, but /dev/tty cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'use --no-tui (or --json) to print the table when the input ends',
    });
  }
  const stream = new ReadStream(fd);
  return stream;
}

/** Closes a keyboard opened by `openKeyboard` (stdin is left alone, only paused). */
export function closeKeyboard(keyboard: ReadStream): void {
  try {
    if (keyboard.isRaw) keyboard.setRawMode(false);
  } catch {
    // The terminal may already be gone (hangup); nothing to restore then.
  }
  if (keyboard === process.stdin) {
    keyboard.pause();
    return;
  }
  keyboard.destroy();
}

export interface Screen {
  /** Idempotent; synchronous so it also works from 'exit' and crash handlers. */
  restore(): void;
}

/**
 * Switches `output` (a TTY) to the alternate screen with a hidden cursor and
 * arranges for the restore to run whatever way the process ends.
 */
export function enterFullScreen(output: NodeJS.WriteStream, keyboard: ReadStream): Screen {
  const fd = (output as NodeJS.WriteStream & { fd?: number }).fd ?? 1;
  const writeNow = (text: string): void => {
    try {
      writeSync(fd, text);
    } catch {
      // EPIPE/EIO: the terminal is gone, there is nothing left to restore.
    }
  };
  let active = true;
  const restore = (): void => {
    if (!active) return;
    active = false;
    process.off('exit', restore);
    try {
      if (keyboard.isRaw) keyboard.setRawMode(false);
    } catch {
      // Terminal gone.
    }
    writeNow(RESET_MODES + SHOW_CURSOR + ALT_SCREEN_OFF);
  };
  writeNow(ALT_SCREEN_ON + HIDE_CURSOR + CLEAR_HOME);
  process.on('exit', restore);
  return { restore };
}

/**
 * Holds back what is written to stderr while the view owns the terminal
 * (diagnostics, tracer notices) and hands it back afterwards. Bounded: the
 * first and last messages are kept, with a count of what was dropped.
 */
export class StderrHold {
  private readonly original = process.stderr.write;
  private readonly head: string[] = [];
  private readonly tail: string[] = [];
  private dropped = 0;
  private active = false;
  count = 0;

  constructor(
    private readonly onMessage: (count: number) => void = () => undefined,
    private readonly limit = 200,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    process.stderr.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      this.keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as typeof process.stderr.write;
  }

  /** Restores stderr and writes what was held. */
  release(): void {
    if (!this.active) return;
    this.active = false;
    process.stderr.write = this.original;
    const text = this.head.join('') + (this.dropped > 0 ? `stracectl top: (${this.dropped} more messages not shown)\n` : '') + this.tail.join('');
    if (text !== '') process.stderr.write(text);
  }

  private keep(text: string): void {
    this.count++;
    this.onMessage(this.count);
    if (this.head.length < this.limit) this.head.push(text);
    else {
      this.tail.push(text);
      if (this.tail.length > this.limit) {
        this.tail.shift();
        this.dropped++;
      }
    }
  }
}

/**
 * ink's cursor helper (restore-cursor) writes "show cursor" to stderr when
 * the process exits, even when stderr is a log file. The terminal gets that
 * from `restore()` already; a redirected stderr must carry diagnostics only.
 */
export function keepCursorCodeOutOfStderrLog(): void {
  if (process.stderr.isTTY) return;
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (chunk === SHOW_CURSOR) return true;
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
}

/**
 * What ink writes before a frame to erase the previous one: erase-lines
 * `(ESC[2K ESC[1A)* ESC[2K ESC[G`, or clear-terminal `ESC[2J ESC[3J ESC[H`
 * when the last frame was as tall as the terminal (after a resize).
 */
const ERASE_PREVIOUS = /^(?:(?:\u001b\[2K\u001b\[1A)*\u001b\[2K\u001b\[G|\u001b\[2J\u001b\[3J\u001b\[H)/;
/** Mode switches and cursor visibility ink writes on their own; they pass through. */
const CONTROL_ONLY = /^(?:\u001b\[\?\d+[hl])*$/;

/**
 * The output stream for ink, with frames drawn in place. ink replaces a
 * frame by erasing all of its lines and writing the new ones; a terminal
 * without synchronized output may show the blank screen in between (a
 * flash once a second). The view always fills the screen from the top, so
 * each frame is rewritten over the old one instead: cursor home, every line
 * followed by erase-to-end-of-line, then erase below. No cell is ever blank
 * unless it is blank in the new frame.
 */
export function inPlaceOutput(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const write = (chunk: unknown, encodingOrCallback?: unknown, callbackArg?: unknown): boolean => {
    const callback = (typeof encodingOrCallback === 'function' ? encodingOrCallback : callbackArg) as (() => void) | undefined;
    const encoding = (typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined) as BufferEncoding | undefined;
    if (typeof chunk !== 'string' || CONTROL_ONLY.test(chunk)) return stream.write(chunk as string, encoding, callback);
    const content = chunk.replace(ERASE_PREVIOUS, '');
    const lines = content.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const frame = content === '' ? '\u001b[H\u001b[J' : `\u001b[H${lines.join('\u001b[K\n')}\u001b[K\u001b[J`;
    return stream.write(frame, encoding, callback);
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
