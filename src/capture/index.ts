/**
 * Picks a capture backend and starts a session. `auto` takes eBPF when it
 * can run here, else strace, and says which and why on stderr.
 */
import { StracectlError } from '../errors.js';
import { ebpfBackend } from './ebpf.js';
import { straceBackend } from './strace.js';
import type { BackendChoice, BackendName, CaptureBackend, CaptureOptions, CaptureSession } from './types.js';

/**
 * Every backend in this build, in `auto` preference order (eBPF first: it
 * costs the traced program far less than ptrace). A backend module that is
 * not part of the build is simply not listed.
 */
export const backends: CaptureBackend[] = [ebpfBackend, straceBackend];

export function findBackend(name: BackendName): CaptureBackend | undefined {
  return backends.find((backend) => backend.name === name);
}

async function resolveBackend(choice: BackendChoice, options: CaptureOptions, log: (message: string) => void): Promise<CaptureBackend> {
  if (choice !== 'auto') {
    const backend = findBackend(choice);
    if (backend === undefined) throw new StracectlError('EBPF_UNAVAILABLE', `the ${choice} backend is not part of this build`, { hint: 'use --backend strace (or auto)' });
    if (options.summary && backend.name !== 'ebpf') {
      throw new StracectlError('USAGE', '--summary and --interval need the eBPF backend (in-kernel aggregation)', { hint: 'use --backend ebpf (or auto), or pipe into `stracectl aggregate --interval 1s`' });
    }
    return backend;
  }
  const ebpf = findBackend('ebpf');
  const availability = ebpf ? await ebpf.available() : { ok: false, reason: 'not part of this build' };
  if (ebpf && availability.ok) {
    log('backend: ebpf (auto: eBPF can run here)');
    return ebpf;
  }
  if (options.summary) {
    throw new StracectlError('EBPF_UNAVAILABLE', `--summary needs the eBPF backend, which cannot run here: ${availability.reason ?? 'unavailable'}`);
  }
  log(`backend: strace (auto: eBPF unavailable: ${availability.reason ?? 'unknown reason'})`);
  return straceBackend;
}

/** Starts a capture with the chosen backend. Errors are StracectlErrors from the catalog. */
export async function startCapture(choice: BackendChoice, options: CaptureOptions, log: (message: string) => void): Promise<CaptureSession> {
  const backend = await resolveBackend(choice, options, log);
  const summary = options.summary === true || (options.summaryIfEbpf === true && backend.name === 'ebpf');
  if (summary && !options.summary) log('eBPF: aggregating in the kernel (--summary); only failing calls are streamed');
  return backend.start({ log, ...options, summary });
}

export type { BackendChoice, BackendName, CaptureBackend, CaptureOptions, CaptureSession } from './types.js';
