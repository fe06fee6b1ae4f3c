import type { Category } from '../event.js';

/**
 * Alias table and category map from the seed's syscall reference.
 * This is the single source for name normalisation; the knowledge-base
 * entries reference these tables rather than repeating them.
 */

/** alias → canonical name (seed "Alias table"). */
export const ALIAS_TO_CANONICAL: Readonly<Record<string, string>> = Object.freeze({
  open: 'openat',
  mmap2: 'mmap',
  stat: 'fstat',
  lstat: 'fstat',
  newfstatat: 'fstat',
  statx: 'fstat',
  getdents: 'getdents64',
  faccessat: 'access',
  faccessat2: 'access',
  accept: 'accept4',
  recv: 'recvfrom',
  recvmsg: 'recvfrom',
  recvmmsg: 'recvfrom',
  send: 'sendto',
  sendmsg: 'sendto',
  sendmmsg: 'sendto',
  epoll_pwait: 'epoll_wait',
  ppoll: 'poll',
  clone3: 'clone',
  execveat: 'execve',
  exit: 'exit_group',
  waitpid: 'wait4',
  waitid: 'wait4',
  sigaction: 'rt_sigaction',
  sigprocmask: 'rt_sigprocmask',
  geteuid: 'getuid',
  getgid: 'getuid',
  getegid: 'getuid',
  llseek: 'lseek',
  pipe2: 'pipe',
  dup2: 'dup',
  dup3: 'dup',
  getsockopt: 'setsockopt',
  getpeername: 'getsockname',
  fstatfs: 'statfs',
  copy_file_range: 'sendfile',
  eventfd2: 'eventfd',
});

/** canonical name → category (seed "Categories at a glance"). */
export const CANONICAL_CATEGORY: Readonly<Record<string, Category>> = Object.freeze({
  read: 'I/O', write: 'I/O', openat: 'I/O', close: 'I/O', pipe: 'I/O', dup: 'I/O', sendfile: 'I/O', fcntl: 'I/O',
  fstat: 'FS', getdents64: 'FS', access: 'FS', lseek: 'FS', statfs: 'FS',
  socket: 'NET', bind: 'NET', listen: 'NET', connect: 'NET', accept4: 'NET', recvfrom: 'NET', sendto: 'NET',
  setsockopt: 'NET', getsockname: 'NET', epoll_wait: 'NET', epoll_ctl: 'NET', poll: 'NET',
  mmap: 'MEM', munmap: 'MEM', mprotect: 'MEM', madvise: 'MEM', brk: 'MEM',
  clone: 'PROC', execve: 'PROC', exit_group: 'PROC', wait4: 'PROC', getpid: 'PROC', getuid: 'PROC',
  prctl: 'PROC', prlimit64: 'PROC', set_tid_address: 'PROC', arch_prctl: 'PROC',
  rt_sigaction: 'SIG', rt_sigprocmask: 'SIG', eventfd: 'SIG',
  futex: 'OTHER', ioctl: 'OTHER', getrandom: 'OTHER',
});

/** The canonical name for a raw syscall name (unlisted names map to themselves). */
export function canonicalName(rawName: string): string {
  // Own properties only: a name like `toString` must not find Object.prototype's.
  return Object.hasOwn(ALIAS_TO_CANONICAL, rawName) ? ALIAS_TO_CANONICAL[rawName]! : rawName;
}

/** The category of a (raw or canonical) syscall name; OTHER when unknown. */
export function categoryOf(name: string): Category {
  const canonical = canonicalName(name);
  return Object.hasOwn(CANONICAL_CATEGORY, canonical) ? CANONICAL_CATEGORY[canonical]! : 'OTHER';
}

/** All aliases of a canonical name, in table order. */
export function aliasesOf(canonical: string): string[] {
  return Object.keys(ALIAS_TO_CANONICAL).filter((alias) => ALIAS_TO_CANONICAL[alias] === canonical);
}
