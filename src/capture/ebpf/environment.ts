/**
 * Can the eBPF backend run here, and if not, exactly what is missing:
 * an architecture we have a syscall table for, `bpftrace` on PATH, root (or
 * CAP_BPF + CAP_PERFMON), and the kernel's syscall tracepoints in tracefs —
 * which a fresh machine may not have mounted: as root we mount it.
 * (BTF is not needed: the program only uses tracepoint formats.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../errors.js';
import { findExecutable } from '../proc.js';
import { currentArch, type Arch } from './syscalls.js';

export interface EbpfEnvironment {
  bpftrace: string;
  /** Where tracefs is mounted (has `events/`). */
  tracefs: string;
  arch: Arch;
  version: string;
}

export type EnvironmentCheck = { ok: true; env: EbpfEnvironment; notes: string[] } | { ok: false; code: ErrorCode; reason: string; hint?: string };

const TRACEFS_CANDIDATES = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Root, CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (Linux ≥ 5.8), from /proc/self/status. */
export function hasTracingPrivileges(status: string = readStatus()): boolean {
  const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  if (uid === '0') return true;
  const capEff = /^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1];
  if (capEff === undefined) return false;
  const caps = BigInt(`0x${capEff}`);
  const has = (bit: bigint): boolean => ((caps >> bit) & 1n) === 1n;
  return has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
}

function readStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

function findTracefs(): string | undefined {
  return TRACEFS_CANDIDATES.find((dir) => existsSync(join(dir, 'events')));
}

/** `bpftrace v0.17.0` → [0, 17, 0]. */
export function parseBpftraceVersion(text: string): [number, number, number] | undefined {
  const match = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

export interface CheckOptions {
  /** Mount tracefs when it is missing and we are root (default true). */
  mount?: boolean;
  path?: string;
}

export function checkEnvironment(options: CheckOptions = {}): EnvironmentCheck {
  const arch = currentArch();
  if (arch === undefined) {
    return { ok: false, code: 'EBPF_UNAVAILABLE', reason: `no syscall table for this architecture (${process.arch}); the eBPF backend supports x86_64 and aarch64` };
  }
  const bpftrace = findExecutable('bpftrace', options.path ?? process.env.PATH ?? '').path;
  if (bpftrace === undefined) return { ok: false, code: 'BPFTRACE_MISSING', reason: 'bpftrace is not installed (not found on PATH)' };
  const run = spawnSync(bpftrace, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = `${run.stdout ?? ''}`.trim();
  const parsed = parseBpftraceVersion(version);
  if (run.status !== 0 || parsed === undefined) {
    return { ok: false, code: 'EBPF_UNAVAILABLE', reason: `cannot run ${bpftrace} --version: ${run.error?.message ?? (run.stderr || `exit status ${run.status}`).trim()}` };
  }
  if (parsed[0] === 0 && parsed[1] < 17) {
    return { ok: false, code: 'EBPF_UNAVAILABLE', reason: `bpftrace ${version} is too old (0.17 or later is needed for uptr() and the JSON output used here)`, hint: 'install a newer bpftrace, or use --backend strace' };
  }
  const status = readStatus();
  const root = /^Uid:\s+\d+\s+0\b/m.test(status);
  if (!hasTracingPrivileges(status)) {
    return {
      ok: false,
      code: 'EBPF_UNAVAILABLE',
      reason: 'not privileged: eBPF tracing needs root, or CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)',
      hint: 'run as root (sudo), or use --backend strace',
    };
  }
  const notes: string[] = [];
  let tracefs = findTracefs();
  if (tracefs === undefined) {
    if (!root || options.mount === false) {
      return {
        ok: false,
        code: 'EBPF_UNAVAILABLE',
        reason: 'tracefs is not mounted at /sys/kernel/tracing, so the syscall tracepoints cannot be found',
        hint: 'as root: mount -t tracefs nodev /sys/kernel/tracing (or run stracectl as root, which mounts it)',
      };
    }
    const mount = spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { encoding: 'utf8', timeout: 10_000 });
    tracefs = findTracefs();
    if (tracefs === undefined) {
      return {
        ok: false,
        code: 'EBPF_UNAVAILABLE',
        reason: `tracefs is not mounted and mounting it failed: ${(mount.stderr || mount.error?.message || `exit status ${mount.status}`).trim()}`,
        hint: 'the kernel needs CONFIG_FTRACE; or use --backend strace',
      };
    }
    notes.push(`mounted tracefs at ${tracefs}`);
  }
  for (const event of ['raw_syscalls/sys_enter', 'raw_syscalls/sys_exit', 'syscalls/sys_enter_kill', 'sched/sched_process_exit']) {
    if (!existsSync(join(tracefs, 'events', event))) {
      return {
        ok: false,
        code: 'EBPF_UNAVAILABLE',
        reason: `the kernel has no ${event.replace('/', ':')} tracepoint (${tracefs}/events/${event} is missing; CONFIG_FTRACE_SYSCALLS)`,
        hint: 'use --backend strace',
      };
    }
  }
  return { ok: true, env: { bpftrace, tracefs, arch, version }, notes };
}
