/**
 * Keeps a firehose on stdin from starving the HTTP side of `serve`: both
 * share one event loop, and libuv may hand over many input chunks in one
 * turn. After `sliceMs` of ingesting, the input is paused and resumed on the
 * next turn, so waiting requests are answered in between.
 */
import { performance } from 'node:perf_hooks';
import type { FlowControl } from '../io.js';

export class IngestPacer {
  private sliceStart = performance.now();
  private sinceCheck = 0;
  private yielding = false;

  constructor(
    private readonly flow: FlowControl,
    private readonly options: { sliceMs?: number; checkEvery?: number } = {},
  ) {}

  /** Call once per ingested record. */
  tick(): void {
    if (++this.sinceCheck < (this.options.checkEvery ?? 128)) return;
    this.sinceCheck = 0;
    if (this.yielding || performance.now() - this.sliceStart < (this.options.sliceMs ?? 4)) return;
    this.yielding = true;
    this.flow.pause();
    setImmediate(() => {
      this.yielding = false;
      this.sliceStart = performance.now();
      this.flow.resume();
    });
  }
}
