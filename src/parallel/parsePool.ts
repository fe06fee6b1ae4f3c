/**
 * The worker threads of the parallel `parse`: each scans the blocks of lines
 * it is given (BlockScanner, src/parallel/parseBlocks.ts). Workers start on
 * the first block; blocks go round the workers in turn, and each answer is a
 * promise, so the caller keeps them in input order.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BlockHint, RecycledMemory, ScannedBlock, ScanOptions } from './parseBlocks.js';
import { startWorker } from './workers.js';

export interface ScanRequest {
  id: number;
  /** Whole lines (the buffer is transferred). */
  bytes: Uint8Array;
  options: ScanOptions;
  hint: BlockHint;
  /** Memory of a block done with, to write this one's results into (transferred). */
  recycled?: RecycledMemory;
}

export type ScanReply = { id: number; block: ScannedBlock; error?: undefined } | { id: number; error: string };

/**
 * Worker threads for `parse`: STRACECTL_WORKERS when set (0: none), else one
 * per core, at most 4 — and none on a single core, where they would only
 * compete with the main thread, which has its share of the work.
 */
export function parseWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const setting = env.STRACECTL_WORKERS?.trim();
  if (setting !== undefined && /^\d+$/.test(setting)) return Number(setting);
  const cores = availableParallelism();
  return cores >= 2 ? Math.min(4, cores) : 0;
}

export class ParsePool {
  private workers: Worker[] | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (block: ScannedBlock) => void; reject: (error: Error) => void }>();

  constructor(readonly size: number) {}

  /** Scans a block of whole lines on the next worker; `bytes` must own its buffer, which is handed over. */
  scan(bytes: Uint8Array, options: ScanOptions, hint: BlockHint, recycled?: RecycledMemory): Promise<ScannedBlock> {
    const workers = (this.workers ??= this.start());
    const id = this.nextId++;
    return new Promise<ScannedBlock>((resolve, reject) => {
      if (this.waiting.size === 0) for (const worker of workers) worker.ref();
      this.waiting.set(id, { resolve, reject });
      const request: ScanRequest = { id, bytes, options, hint, recycled };
      const transfer = [bytes.buffer as ArrayBuffer];
      if (recycled !== undefined) transfer.push(recycled.bytes, recycled.ops);
      workers[id % workers.length]!.postMessage(request, transfer);
    });
  }

  /**
   * Starts the workers now rather than with the first block, for an input
   * known to be big enough for them: they start (about 40 ms) while this
   * thread reads. They keep the process alive only while a block is out.
   */
  warmUp(): void {
    if (this.size === 0 || this.workers !== undefined) return;
    this.workers = this.start();
    for (const worker of this.workers) worker.unref();
  }

  /** Stops the workers; blocks still out are never answered. */
  close(): void {
    const workers = this.workers;
    this.workers = undefined;
    this.waiting.clear();
    for (const worker of workers ?? []) void worker.terminate();
  }

  private start(): Worker[] {
    return Array.from({ length: this.size }, () => {
      const worker = startWorker('parseWorker');
      worker.on('message', (reply: ScanReply) => {
        const waiter = this.waiting.get(reply.id);
        if (waiter === undefined) return;
        this.waiting.delete(reply.id);
        this.unrefWhenIdle();
        if (reply.error === undefined) waiter.resolve(reply.block);
        else waiter.reject(new Error(`parse worker: ${reply.error}`));
      });
      worker.on('error', (error) => {
        for (const waiter of this.waiting.values()) waiter.reject(error);
        this.waiting.clear();
        this.unrefWhenIdle();
      });
      return worker;
    });
  }

  /** Workers keep the process alive only while a block is out. */
  private unrefWhenIdle(): void {
    if (this.waiting.size === 0) for (const worker of this.workers ?? []) worker.unref();
  }
}
