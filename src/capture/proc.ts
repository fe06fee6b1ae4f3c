/**
 * What /proc and PATH tell us before and while tracing: does the PID exist,
 * who already traces it, why ptrace might be refused, where a command is.
 * Linux only, synchronous (each call reads one or two tiny files).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** One `Key:\tvalue` field of /proc/PID/status. */
export function statusField(pid: number | 'self', key: string): string | undefined {
  const status = readProc(`/proc/${pid}/status`);
  const match = status === undefined ? null : new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status);
  return match?.[1]?.trim();
}

export function commOf(pid: number): string | undefined {
  return readProc(`/proc/${pid}/comm`)?.trim();
}

/** The pid already ptrace-attached to `pid`, if any (a process has at most one tracer). */
export function tracerOf(pid: number): number | undefined {
  const tracer = Number(statusField(pid, 'TracerPid'));
  return Number.isInteger(tracer) && tracer > 0 ? tracer : undefined;
}

/** Direct children of `pid` (needs CONFIG_PROC_CHILDREN, on in every distribution kernel). */
export function childrenOf(pid: number): number[] {
  const text = readProc(`/proc/${pid}/task/${pid}/children`);
  if (text === undefined) return [];
  return text.split(' ').filter((word) => word !== '').map(Number);
}

const CAP_SYS_PTRACE = 19n;

/**
 * The likely reasons the kernel refuses to let us ptrace `pid`, most
 * specific first, for the PTRACE_DENIED hint. Empty when nothing stands out.
 */
export function ptraceObstacles(pid: number | undefined): string[] {
  const reasons: string[] = [];
  if (pid !== undefined) {
    const tracer = tracerOf(pid);
    if (tracer !== undefined) reasons.push(`another tracer is attached: pid ${tracer} (${commOf(tracer) ?? '?'}); a process can have only one`);
  }
  const capEff = statusField('self', 'CapEff');
  const hasPtraceCap = capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_PTRACE) & 1n) === 1n;
  const scope = readProc('/proc/sys/kernel/yama/ptrace_scope')?.trim();
  if (scope === '3') reasons.push('kernel.yama.ptrace_scope is 3: ptrace is disabled for everyone until reboot');
  else if (scope === '2' && !hasPtraceCap) reasons.push('kernel.yama.ptrace_scope is 2: only processes with CAP_SYS_PTRACE may attach');
  else if (scope === '1' && !hasPtraceCap && pid !== undefined) reasons.push('kernel.yama.ptrace_scope is 1: only a parent may trace its children (run as root or `sysctl kernel.yama.ptrace_scope=0`)');
  if (pid !== undefined && !hasPtraceCap) {
    const ours = statusField('self', 'Uid')?.split(/\s+/)[1];
    const theirs = statusField(pid, 'Uid')?.split(/\s+/);
    if (ours !== undefined && theirs !== undefined && theirs.some((uid) => uid !== ours)) {
      reasons.push(`pid ${pid} runs as uid ${theirs[1]} and you are uid ${ours} without CAP_SYS_PTRACE`);
    }
  }
  if (statusField('self', 'Seccomp') === '2') reasons.push('stracectl runs under a seccomp filter (a container profile?) that may block ptrace');
  return reasons;
}

/**
 * Resolves a command the way execvp does: a name with a slash is taken as a
 * path, otherwise the first executable match on PATH.
 */
export function findExecutable(command: string, path = process.env.PATH ?? ''): { path?: string; problem?: 'not-found' | 'not-executable' } {
  const check = (candidate: string): 'ok' | 'not-found' | 'not-executable' => {
    try {
      if (!statSync(candidate).isFile()) return 'not-executable';
      accessSync(candidate, constants.X_OK);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not-found' : 'not-executable';
    }
  };
  if (command.includes('/')) {
    const result = check(command);
    return result === 'ok' ? { path: command } : { problem: result };
  }
  let problem: 'not-found' | 'not-executable' = 'not-found';
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir === '' ? '.' : dir, command);
    const result = check(candidate);
    if (result === 'ok') return { path: candidate };
    if (result === 'not-executable') problem = 'not-executable';
  }
  return { problem };
}

/** The online CPUs (/sys/devices/system/cpu/online, e.g. `0-3,6`); undefined when unreadable. */
export function onlineCpus(list = readProc('/sys/devices/system/cpu/online')): number[] | undefined {
  if (list === undefined || !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list.trim())) return undefined;
  const cpus: number[] = [];
  for (const range of list.trim().split(',')) {
    const [first, last = first] = range.split('-').map(Number) as [number, number?];
    for (let cpu = first; cpu <= last!; cpu++) cpus.push(cpu);
  }
  return cpus;
}
