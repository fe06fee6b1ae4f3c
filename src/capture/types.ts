/**
 * The contract between `capture` (and `top -p`, `serve -p`) and the two
 * tracer backends. A backend turns options into a running session whose
 * records stream live and whose `exitStatus` settles when tracing ends.
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import type { Category, TraceRecord } from '../event.js';
import type { FlowControl } from '../io.js';

export type BackendName = 'strace' | 'ebpf';
export type BackendChoice = BackendName | 'auto';

export interface CaptureOptions {
  /** Attach to these running processes (`-p`, repeatable). */
  pids: readonly number[];
  /** Or start this command (`-- CMD ARGS…`). Exactly one of pids / command is given. */
  command?: readonly string[];
  /** Follow children and threads (default on for a command, off for -p unless -f). */
  follow: boolean;
  /** Emit canonical names (normalize) unless false (`--no-normalize`). */
  normalize: boolean;
  /** Longest string strace prints in args (`-s`). */
  stringLimit: number;
  /** Trace only these syscalls / categories (mapped to the tracer's own filter). */
  syscalls?: readonly string[];
  categories?: readonly Category[];
  /** Only failing calls (strace `-Z`). */
  errorsOnly?: boolean;
  /** Where the traced program's stdout/stderr go: our stderr (default), nowhere, or a file. */
  programOutput: 'stderr' | 'null' | { file: string };
  /** eBPF only: aggregate in the kernel and emit stats snapshots each interval. */
  summary?: boolean;
  /** Aggregate in the kernel if the backend turns out to be eBPF (live views of a running process). */
  summaryIfEbpf?: boolean;
  intervalMs?: number;
  /** Backpressure: the output writer pauses this while stdout is congested; the backend stops reading the tracer meanwhile. */
  flow?: FlowControl;
  /** Where the backend's diagnostics go (default: `stracectl capture: …` lines on stderr). */
  log?: (message: string) => void;
}

export interface CaptureSession {
  readonly backend: BackendName;
  /** Live records (events and meta records). Completes when tracing ends. Subscribe once. */
  readonly records$: Observable<TraceRecord>;
  /** The traced command's exit status (128+n for a signal death); 0 after a clean detach from -p. */
  readonly exitStatus: Promise<number>;
  /** Ctrl-C / SIGTERM: detach from -p targets, or forward the signal to the traced command. */
  stop(signal: NodeJS.Signals): void;
}

export interface Availability {
  ok: boolean;
  /** Why not, with what is missing, when !ok. */
  reason?: string;
}

export interface CaptureBackend {
  readonly name: BackendName;
  available(): Promise<Availability>;
  start(options: CaptureOptions): Promise<CaptureSession>;
}

/** A session's records: one consumer reads them (a second subscription gets an error, not a share of the lines). */
export function singleSubscription<T>(subscribe: (subscriber: Subscriber<T>) => TeardownLogic): Observable<T> {
  let subscribed = false;
  return new Observable<T>((subscriber) => {
    if (subscribed) {
      subscriber.error(new Error('a capture session can be subscribed once'));
      return;
    }
    subscribed = true;
    return subscribe(subscriber);
  });
}
