/** Worker side of the parallel `parse`: scans the blocks it is sent (BlockScanner) and sends them back. */
import { parentPort } from 'node:worker_threads';
import { decodeLines } from '../lines.js';
import { BlockScanner } from './parseBlocks.js';
import type { ScanReply, ScanRequest } from './parsePool.js';

/** One scanner per set of options (one per input file at most). */
const scanners = new Map<string, BlockScanner>();

parentPort!.on('message', ({ id, bytes, options, hint, recycled }: ScanRequest) => {
  let reply: ScanReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const key = JSON.stringify(options);
    let scanner = scanners.get(key);
    if (scanner === undefined) {
      scanner = new BlockScanner(options);
      scanners.set(key, scanner);
    }
    const block = scanner.scan(decodeLines(bytes), hint, recycled);
    reply = { id, block };
    transfer.push(block.bytes.buffer as ArrayBuffer, block.ops.buffer as ArrayBuffer);
  } catch (error) {
    reply = { id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  parentPort!.postMessage(reply, transfer);
});
