/**
 * Runs of lines as bytes and text, and output bytes lent to a writer: the
 * parts of io.ts that worker threads need too, kept apart from it (and its
 * rxjs) so that a worker starts in a fraction of the time.
 */
import { isAscii } from 'node:buffer';

/**
 * Calls `onLine` for each line of `lines` (a run of lines each ending in "\n"; a last one without it is
 * read to the end), without its terminator or a CR before it, and `onOversized` with the length of each
 * line longer than `maxLineBytes` instead. `stopped` is asked before each line.
 */
export function forEachLine(lines: string, maxLineBytes: number, onLine: (line: string) => void, onOversized: (length: number) => void, stopped?: () => boolean): void {
  forEachLineAt(lines, maxLineBytes, (start, end) => onLine(lines.slice(start, end)), onOversized, stopped);
}

/** forEachLine giving where each line is in `lines` ([start, end)) rather than a string of it. */
export function forEachLineAt(
  lines: string,
  maxLineBytes: number,
  onLine: (start: number, end: number) => void,
  onOversized: (length: number) => void,
  stopped?: () => boolean,
): void {
  const length = lines.length;
  let start = 0;
  while (start < length && stopped?.() !== true) {
    let end = lines.indexOf('\n', start);
    if (end === -1) end = length;
    if (end - start > maxLineBytes) onOversized(end - start);
    else onLine(start, end > start && lines.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
  }
}

/** Text of a run of whole lines (bytes): latin1 when it is all ASCII (the usual case, and much faster), else UTF-8. */
export function decodeLines(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return buffer.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/**
 * A block whose memory can be handed to another thread: the block itself
 * when it is the whole of its buffer (lineBlocksFromStream's are, unless
 * small enough to share Node's buffer pool), else a copy.
 */
export function transferableBytes(block: Uint8Array): Uint8Array {
  return block.byteOffset === 0 && block.byteLength === block.buffer.byteLength ? block : new Uint8Array(block);
}

const lentBytes = new WeakMap<Uint8Array, () => void>();

/**
 * Marks output bytes as lent: `onWritten` is called once the writer
 * (BatchedWriter.writeBytes) has written them all out, so their producer can
 * fill the memory again — fresh memory for every chunk costs page faults and
 * garbage collections. Bytes never written (a consumer that keeps them, a
 * reader gone) are simply never given back.
 */
export function lend(bytes: Uint8Array, onWritten: () => void): Uint8Array {
  lentBytes.set(bytes, onWritten);
  return bytes;
}

/** What to call once lent bytes are written out (undefined: they were not lent). */
export function lenderOf(bytes: Uint8Array): (() => void) | undefined {
  return lentBytes.get(bytes);
}
