/** Messages between the parallel filter and its workers. */

export interface BlockRequest {
  seq: number;
  /** Whole lines (the last one may lack its newline only at end of input). */
  bytes: Uint8Array;
}

export interface BlockResult {
  seq: number;
  /** Kept lines as UTF-8, each ending in "\n"; empty when none. */
  kept: Uint8Array;
  keptCount: number;
  /** Invalid lines by index within the block, with the reason. */
  invalid: Array<[lineIndex: number, reason: string]>;
  /** Lines in the block (blank ones included), for numbering the next block. */
  lineCount: number;
}
