/**
 * StraceChunkParser: runs of whole strace lines in, NDJSON text out — the
 * `parse` hot path. It splits each run by index (no emission per line),
 * feeds the lines to one StraceParser (so pairing, pid inference and time
 * stamps are exactly the operator's) and appends each record's JSON to one
 * string per batch, handed on as soon as it is big enough.
 */

import type { TraceRecord } from '../event.js';
import { forEachLine } from '../io.js';
import { StraceParser, type StraceParserOptions } from './parser.js';

export interface StraceChunkParserOptions extends StraceParserOptions {
  /** A record as one JSON line without its newline (parsedRecordToJson, normalizedRecordToJson). */
  toJson: (record: TraceRecord) => string;
  /** Lines longer than this (in characters, a CR included) are skipped and reported. */
  maxLineBytes: number;
  /** Told about each line skipped for its length (1-based line number, characters). It may throw to stop. */
  onOversizedLine?: (lineNumber: number, length: number) => void;
  /** Receives the NDJSON text (whole lines, each with its "\n") whenever `batchChars` of it are ready, and on `flush()`. */
  onText: (text: string) => void;
  /** Batch size in characters (default 64 Ki): small batches die young, a large one survives into the old generation. */
  batchChars?: number;
}

export class StraceChunkParser {
  private readonly parser: StraceParser;
  private readonly maxLineBytes: number;
  private readonly onOversizedLine: ((lineNumber: number, length: number) => void) | undefined;
  private readonly onText: (text: string) => void;
  private text = '';

  constructor(options: StraceChunkParserOptions) {
    const toJson = options.toJson;
    const batchChars = options.batchChars ?? 64 * 1024;
    this.onText = options.onText;
    this.parser = new StraceParser(options, (record) => {
      this.text += toJson(record) + '\n';
      if (this.text.length >= batchChars) this.flush();
    });
    this.maxLineBytes = options.maxLineBytes;
    this.onOversizedLine = options.onOversizedLine;
  }

  /** Lines read so far. */
  get lines(): number {
    return this.parser.lines;
  }

  /**
   * Parses every line of `lines`, each ending in "\n" (a last line without
   * one is read to the end of the string); a CR before the newline is dropped.
   */
  pushLines(lines: string): void {
    forEachLine(lines, this.maxLineBytes, this.pushLine, this.pushOversized);
  }

  private readonly pushLine = (line: string): void => this.parser.push(line);

  /** Counts a line that was too long to keep: reported, then read as a blank line. */
  readonly pushOversized = (length: number): void => {
    this.onOversizedLine?.(this.parser.lines + 1, length);
    this.parser.push('');
  };

  /** Ends the trace: calls never resumed are emitted, held events are released. */
  end(): void {
    this.parser.end();
  }

  /** Hands the NDJSON text not handed on yet to `onText` (when there is some). */
  flush(): void {
    const text = this.text;
    if (text.length === 0) return;
    this.text = '';
    this.onText(text);
  }
}
