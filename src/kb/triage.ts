/**
 * Triage: turns one syscall's stats into hints a human can act on. Every
 * view (`top`, `serve`, `report`) shows the same hints, so the rules live
 * here. The seed's thresholds colour rows (`rowSeverity`); the hints explain
 * them. Known-benign patterns are never dropped: they come as `info` hints
 * with the explanation, and when they account for every error (or the
 * latency) the threshold hint itself is lowered instead of hidden.
 */
import { formatDuration } from '../duration.js';
import { canonicalName } from './aliases.js';

export type Severity = 'info' | 'warning' | 'critical';

/** Every hint triage can give (ids are stable: views and tests key on them). */
export const HINT_IDS = [
  'error-rate',
  'slow',
  'enoent-probing',
  'happy-eyeballs',
  'nscd-probe',
  'ioctl-enotty',
  'eagain-nonblocking',
  'connect-inprogress',
  'madvise-errors',
  'statfs-special-fs',
  'prctl-eperm',
  'close-eio',
  'futex-contention',
  'futex-benign-errors',
  'interrupted-by-signal',
  'wait-echild',
  'short-writes',
] as const;
export type HintId = (typeof HINT_IDS)[number];

export interface Hint {
  id: HintId;
  severity: Severity;
  message: string;
}

/** Stats of one syscall (a StatsRecord fits), plus optional evidence. */
export interface TriageInput {
  /** Raw or canonical name; aliases are resolved (`newfstatat` is the stat family). */
  name: string;
  count: number;
  errors: number;
  error_pct: number;
  /** errno → count. */
  error_breakdown: Readonly<Record<string, number>>;
  avg_ns: number;
  p95_ns?: number;
  /** Arguments of recent calls, failing ones preferably (e.g. `recent_errors[].args`); used to tell /proc from a real path, IPv4 from IPv6. */
  sample_args?: readonly string[];
  /**
   * Calls that succeeded but moved fewer bytes than asked: `write`/`pwrite64`/
   * `sendto` events whose return value is >= 0 and below the requested byte
   * count. Count them with `isShortWrite(event)`; absent = not measured.
   */
  short_writes?: number;
}

/** Row turns red at this error percentage (seed: ERR% ≥ 50). */
export const RED_ERROR_PCT = 50;
/** Row turns yellow at this average latency (seed: AVG ≥ 5 ms). */
export const YELLOW_AVG_NS = 5_000_000;
/**
 * futex calls in one stats window above which contention is reported. An
 * uncontended lock never enters the kernel; a runtime at rest makes a few
 * hundred futex calls per second. Ten thousand means threads really queue on
 * locks (or the window is long: compare with the run time).
 */
export const FUTEX_CONTENTION_CALLS = 10_000;
/** A connect error share in this range (percent) looks like Happy Eyeballs' one loser per winner. */
export const HAPPY_EYEBALLS_PCT_RANGE: readonly [number, number] = [30, 70];

/**
 * The seed's row colour: red when error_pct ≥ 50, else yellow when the
 * average latency is ≥ 5 ms, else none. The mechanical rule every view
 * shares; `triage` explains whether a coloured row is a real problem.
 *
 * @example rowSeverity({ error_pct: 62.5, avg_ns: 1000 }) // 'red'
 */
export function rowSeverity(stats: { error_pct: number; avg_ns: number }): 'red' | 'yellow' | null {
  if (stats.error_pct >= RED_ERROR_PCT) return 'red';
  if (stats.avg_ns >= YELLOW_AVG_NS) return 'yellow';
  return null;
}

const STAT_FAMILY = new Set(['openat', 'access', 'fstat']);
const NONBLOCKING_IO = new Set(['read', 'write', 'recvfrom', 'sendto', 'accept4', 'readv', 'writev', 'pread64', 'pwrite64', 'splice', 'sendfile']);
/** Calls whose job is to wait: a long average is idle time, not a stall. */
const WAITING_CALLS = new Set([
  'epoll_wait', 'epoll_pwait2', 'poll', 'select', 'pselect6', 'futex', 'wait4', 'nanosleep', 'clock_nanosleep',
  'rt_sigsuspend', 'rt_sigtimedwait', 'pause', 'accept4', 'io_getevents', 'io_uring_enter',
]);
const HAPPY_EYEBALLS_ERRNOS = ['ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH'];
const SIGNAL_ERRNOS = ['EINTR', 'ERESTARTSYS', 'ERESTARTNOINTR', 'ERESTARTNOHAND', 'ERESTART_RESTARTBLOCK'];
/** Where statfs probes fail by design: pseudo filesystems, and libselinux's legacy /selinux mount point. */
const SPECIAL_FS = /(^|[^\w.-])\/(proc|sys|selinux)(\/|"|>|$)/;
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

const pct = (value: number): string => `${Number(value.toFixed(1))}%`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Hints for one syscall's stats, most severe first; empty for a healthy one.
 *
 * @example
 * triage({ name: 'ioctl', count: 36, errors: 35, error_pct: 97.2, error_breakdown: { ENOTTY: 35 }, avg_ns: 15083 })
 * // [{ id: 'error-rate', severity: 'info', … }, { id: 'ioctl-enotty', severity: 'info', … }]
 */
export function triage(input: TriageInput): Hint[] {
  const name = canonicalName(input.name);
  const breakdown = input.error_breakdown;
  const countOf = (...errnos: string[]): number => errnos.reduce((sum, errno) => sum + (breakdown[errno] ?? 0), 0);
  const samples = input.sample_args ?? [];
  const hints: Hint[] = [];
  let explained = 0; // errors accounted for by a known-benign pattern
  const benign = (id: HintId, errors: number, message: string): void => {
    explained += errors;
    hints.push({ id, severity: 'info', message });
  };

  const enoent = countOf('ENOENT');
  if (enoent > 0 && STAT_FAMILY.has(name)) {
    const libraries = samples.filter((args) => /\.so(\.\d+)*"|\/lib(64|32|x32)?\/|glibc-hwcaps|tls\//.test(args)).length;
    const where = libraries > 0 && libraries * 2 >= samples.length
      ? 'the dynamic linker probing library paths for shared libraries'
      : 'the dynamic linker probing library paths, or a program probing for optional config files';
    benign('enoent-probing', enoent, `${plural(enoent, 'ENOENT error')}: usually ${where}; informational, not a failure. Check the sample paths if a file the program needs is among them.`);
  }

  if (name === 'connect') {
    const lost = countOf(...HAPPY_EYEBALLS_ERRNOS);
    const [low, high] = HAPPY_EYEBALLS_PCT_RANGE;
    const share = input.count > 0 ? (lost / input.count) * 100 : 0;
    if (lost > 0 && input.count >= 2 && share >= low && share <= high) {
      const both = samples.some((a) => a.includes('AF_INET6')) && samples.some((a) => /AF_INET\b(?!6)/.test(a));
      benign('happy-eyeballs', lost, `${pct(share)} of connects failed (${HAPPY_EYEBALLS_ERRNOS.filter((e) => breakdown[e]).join(', ')}): ${both ? 'both IPv4 and IPv6 were tried, ' : ''}likely Happy Eyeballs (RFC 8305) racing IPv6 and IPv4, where the loser always fails; expected, not a real failure${both ? '' : ' — unless every attempt goes to the same address, then the target is not reachable'}.`);
    }
    const inProgress = countOf('EINPROGRESS');
    if (inProgress > 0) {
      benign('connect-inprogress', inProgress, `EINPROGRESS ×${inProgress}: a non-blocking connect started and completes later (the result comes from poll/epoll and getsockopt SO_ERROR); not an error.`);
    }
    const unixPaths = samples.filter((args) => args.includes('sun_path='));
    const nscd = unixPaths.filter((args) => args.includes('nscd/socket')).length;
    if (enoent > 0 && nscd > 0) {
      benign('nscd-probe', nscd === unixPaths.length ? enoent : 0, `ENOENT ×${enoent} on a Unix socket: glibc asking the name-service cache daemon (nscd) at /var/run/nscd/socket, which is not running; it falls back to reading the files itself. Harmless.`);
    }
  }

  const enotty = countOf('ENOTTY');
  if (name === 'ioctl' && enotty > 0) {
    benign('ioctl-enotty', enotty, `ENOTTY ×${enotty}: the program asked a non-terminal fd for terminal settings (isatty(), TCGETS, TIOCGWINSZ), as happens with piped output, under sudo or in a container; not a real failure.`);
  }

  const eagain = countOf('EAGAIN', 'EWOULDBLOCK');
  if (eagain > 0 && NONBLOCKING_IO.has(name)) {
    benign('eagain-nonblocking', eagain, `EAGAIN ×${eagain}: non-blocking I/O found no data (or no buffer space) yet; the event loop retries when the fd is ready. Expected, not a real error.`);
  }

  if (name === 'madvise' && input.errors > 0) {
    benign('madvise-errors', input.errors, `${plural(input.errors, 'madvise error')}: the kernel rejects hints it cannot honour (unknown advice, unsupported mapping); hints are optional, so this is informational, not a failure.`);
  }

  if (name === 'statfs' && input.errors > 0) {
    const special = samples.filter((args) => SPECIAL_FS.test(args)).length;
    if (special > 0) {
      const all = special === samples.length;
      benign('statfs-special-fs', all ? input.errors : 0, `${all ? 'the failing calls target' : `${special} of ${samples.length} sampled calls target`} /proc, /sys or /selinux: pseudo filesystems (and libselinux probing its mount points) fail statfs by design; expected.${all ? '' : ' The other paths deserve a look.'}`);
    }
  }

  const eperm = countOf('EPERM');
  if (name === 'prctl' && eperm > 0) {
    benign('prctl-eperm', eperm, `EPERM ×${eperm}: common in containers with restricted capabilities or an active seccomp profile; the program usually carries on without the feature. Informational.`);
  }

  const signalled = countOf(...SIGNAL_ERRNOS);
  if (signalled > 0) {
    const codes = SIGNAL_ERRNOS.filter((errno) => breakdown[errno]).join(', ');
    benign('interrupted-by-signal', signalled, `${plural(signalled, 'call')} interrupted by a signal (${codes}): strace counts these as errors, but ERESTART* calls are restarted by the kernel or turn into EINTR for the program to handle (usually by retrying); expected when signals are in use.`);
  }

  if (name === 'futex') {
    const futexBenign = countOf('EAGAIN', 'ETIMEDOUT');
    if (futexBenign > 0) {
      benign('futex-benign-errors', futexBenign, `${plural(futexBenign, 'futex error')} (EAGAIN: the lock word changed before the thread slept, so it retried in user space; ETIMEDOUT: a timed wait expired): normal lock traffic, not failures.`);
    }
    if (input.count >= FUTEX_CONTENTION_CALLS) {
      hints.push({ id: 'futex-contention', severity: 'warning', message: `${input.count} futex calls (threshold ${FUTEX_CONTENTION_CALLS}): threads only enter the kernel when a lock is contended, so this suggests heavy lock contention.` });
    }
  }

  const echild = countOf('ECHILD');
  if (name === 'wait4' && echild > 0) {
    benign('wait-echild', echild, `ECHILD ×${echild}: no (more) children to wait for — the usual end of a loop that reaps every child; not a failure.`);
  }

  const eio = countOf('EIO');
  if (name === 'close' && eio > 0) {
    hints.push({ id: 'close-eio', severity: 'critical', message: `EIO ×${eio} on close(): deferred write-back failed, so buffered data was NOT written — data may be lost. Check the disk, NFS or FUSE mount and the kernel log.` });
  }

  if ((input.short_writes ?? 0) > 0) {
    const n = input.short_writes ?? 0;
    hints.push({ id: 'short-writes', severity: 'warning', message: `${plural(n, 'short write')} (returned fewer bytes than requested): normal on sockets and pipes, but the caller must loop to send the rest, or the data is truncated.` });
  }

  if (input.error_pct >= RED_ERROR_PCT) {
    const top = Object.entries(breakdown).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([errno, n]) => `${errno} ×${n}`).join(', ');
    const allExplained = input.errors > 0 && explained >= input.errors;
    hints.push({
      id: 'error-rate',
      severity: allExplained ? 'info' : 'critical',
      message: allExplained
        ? `${pct(input.error_pct)} of calls failed (${top}), all matching known-benign patterns (explained in the other hints).`
        : `${pct(input.error_pct)} of calls failed (${top}): functionality is failing; inspect the error breakdown and recent errors.`,
    });
  }

  if (input.avg_ns >= YELLOW_AVG_NS) {
    const p95 = input.p95_ns;
    const shape = p95 === undefined ? 'check P95/P99 to tell outliers from sustained slowness'
      : p95 < YELLOW_AVG_NS ? `P95 is ${formatDuration(p95)}: a few very slow outliers pull the average up`
      : `P95 is ${formatDuration(p95)}: slowness is sustained, not a few outliers`;
    hints.push(WAITING_CALLS.has(name)
      ? { id: 'slow', severity: 'info', message: `average ${formatDuration(input.avg_ns)} ≥ 5 ms, but ${name} waits by design (for events, a lock, a child or a timer): this is idle time, not a stall.` }
      : { id: 'slow', severity: 'warning', message: `average ${formatDuration(input.avg_ns)} ≥ 5 ms: kernel time that may mean I/O stalls or contention; ${shape}.` });
  }

  // Most severe first; within a severity the threshold hints lead, their explanations follow.
  const rank = (h: Hint): number => SEVERITY_ORDER[h.severity] * 2 + (h.id === 'error-rate' || h.id === 'slow' ? 0 : 1);
  return hints.sort((a, b) => rank(a) - rank(b));
}

/**
 * Splits strace-printed arguments at top-level commas (quotes, (), [] and {}
 * nest). fd decorations like `4<TCP:[a->b]>` stay in one piece.
 */
export function splitArgs(args: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const ch = args[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(args.slice(start).trim());
  return parts;
}

/** Which argument holds the requested byte count, counted from the right (robust to fd decorations). */
const COUNT_ARG_FROM_RIGHT: Readonly<Record<string, number>> = { write: 1, pwrite64: 2, sendto: 4 };

/**
 * Is this event a short write: a successful `write`, `pwrite64` or `sendto`
 * (raw `send` too) that returned fewer bytes than it was asked to write?
 * False when the count cannot be read from the args.
 *
 * @example isShortWrite({ name: 'write', args: '1, "hello\\n", 6', ret: '3', error: '' }) // true
 */
export function isShortWrite(event: { name: string; raw_name?: string; args: string; ret: string; error: string }): boolean {
  if (event.error !== '' || !/^\d+$/.test(event.ret)) return false;
  const raw = event.raw_name ?? event.name;
  const key = raw === 'pwrite64' ? 'pwrite64' : canonicalName(raw) === 'sendto' && !/msg$/.test(raw) ? 'sendto' : raw === 'write' || event.name === 'write' ? 'write' : undefined;
  if (key === undefined) return false;
  const args = splitArgs(event.args);
  const position = COUNT_ARG_FROM_RIGHT[key] ?? 0;
  const requested = args[args.length - position];
  if (requested === undefined || args.length < position + 1 || !/^\d+$/.test(requested)) return false;
  return Number(event.ret) < Number(requested);
}
