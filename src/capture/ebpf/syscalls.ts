/**
 * What the eBPF backend knows about syscalls: number → name per
 * architecture (generated tables), and each syscall's argument list as the
 * kernel describes it in its tracepoint format files
 * (`events/syscalls/sys_enter_NAME/format`), classified for formatting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSCALL_NAMES_AARCH64 } from '../syscall-table-aarch64.js';
import { SYSCALL_NAMES_X86_64 } from '../syscall-table-x86_64.js';

export type Arch = 'x86_64' | 'aarch64';

/** The architecture of this Node process, in kernel terms (undefined when we have no table for it). */
export function currentArch(nodeArch: string = process.arch): Arch | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return undefined;
}

export class SyscallTable {
  private readonly numbers = new Map<string, number>();

  constructor(
    readonly arch: Arch,
    private readonly names: ReadonlyMap<number, string>,
  ) {
    for (const [number, name] of names) this.numbers.set(name, number);
  }

  /** The syscall's name; unknown numbers read like strace prints them (`syscall_0x1c8`). */
  nameOf(number: number): string {
    return this.names.get(number) ?? `syscall_0x${number.toString(16)}`;
  }

  numberOf(name: string): number | undefined {
    return this.numbers.get(name);
  }

  entries(): IterableIterator<[number, string]> {
    return this.names.entries();
  }
}

export function syscallTable(arch: Arch): SyscallTable {
  return new SyscallTable(arch, arch === 'x86_64' ? SYSCALL_NAMES_X86_64 : SYSCALL_NAMES_AARCH64);
}

/** Calls that never return to the caller: only their sys_enter exists. */
export const NEVER_RETURNS = ['exit', 'exit_group'] as const;

/** How an argument is shown (strace style). */
export type ArgKind =
  | 'sint' // signed decimal
  | 'uint' // unsigned decimal
  | 'hex' // flags and the like: 0x…
  | 'ptr' // NULL or 0x…
  | 'string' // a NUL-terminated string read from the caller (length-limited like strace -s)
  | 'path' // a file name: never length-limited (strace prints paths in full)
  | 'sockaddr' // an input socket address
  | 'argv' // execve's argument vector
  | 'dirfd' // AT_FDCWD or a number
  | 'mode' // octal permission bits
  | 'openflags'
  | 'prot'
  | 'mapflags';

export interface ArgSpec {
  name: string;
  type: string;
  kind: ArgKind;
  /** Width of the C type: a 32-bit argument arrives in a 64-bit register whose upper half is noise. */
  bits: 32 | 64;
}

export interface Signature {
  name: string;
  args: ArgSpec[];
}

/** Kernel tracepoint names that differ from the unistd name of the same syscall. */
const TRACEPOINT_NAMES: Readonly<Record<string, string>> = {
  stat: 'newstat',
  lstat: 'newlstat',
  fstat: 'newfstat',
  uname: 'newuname',
  umount2: 'umount',
  sendfile: 'sendfile64',
};

export function tracepointName(syscall: string): string {
  return TRACEPOINT_NAMES[syscall] ?? syscall;
}

/** `const char *` arguments that are data buffers, not strings. */
const DATA_POINTERS = new Set(['buf', 'ubuf', 'u_msg_ptr', 'optval', 'list']);
const PATH_NAMES = new Set(['filename', 'pathname', 'path', 'oldname', 'newname', 'new_root', 'put_old', 'specialfile', 'special', 'dev_name', 'dir_name', 'from_pathname', 'to_pathname', 'library']);
const SOCKADDR_INPUTS = new Set(['connect', 'bind', 'sendto']);
const MEMORY_CALLS = new Set(['mmap', 'munmap', 'mprotect', 'pkey_mprotect', 'madvise', 'process_madvise', 'mremap', 'msync', 'mlock', 'mlock2', 'munlock', 'brk', 'mincore', 'remap_file_pages', 'mseal', 'map_shadow_stack']);
const ADDRESS_NAMES = new Set(['addr', 'start', 'brk', 'old_addr', 'new_addr', 'len_addr']);
const SIGNED_32 = new Set(['int', 'pid_t', 'clockid_t', 'key_serial_t', 'mqd_t', 'timer_t', 'key_t']);
const UNSIGNED_32 = new Set(['unsigned int', 'unsigned', 'u32', '__u32', 'uid_t', 'gid_t', 'qid_t', 'umode_t', 'old_uid_t', 'old_gid_t', 'rwf_t', 'fmode_t']);
const SIGNED_64 = new Set(['long', 'off_t', 'loff_t', 'ssize_t', 's64', '__s64', 'time_t', '__kernel_old_time_t', 'long long']);

export function classifyArg(syscall: string, type: string, name: string): ArgSpec {
  const base = type.replace(/\b(const|volatile|__user)\b/g, '').replace(/\s+/g, ' ').trim();
  const spec = (kind: ArgKind, bits: 32 | 64 = 64): ArgSpec => ({ name, type, kind, bits });
  if ((syscall === 'execve' || syscall === 'execveat') && name === 'argv') return spec('argv');
  if (base === 'struct sockaddr *' && SOCKADDR_INPUTS.has(syscall)) return spec('sockaddr');
  const isCString = (/^const char \*$/.test(type.trim()) && !DATA_POINTERS.has(name)) || (syscall === 'mount' && ['dev_name', 'dir_name', 'type'].includes(name));
  if (isCString) return spec(PATH_NAMES.has(name) ? 'path' : 'string');
  if (base.includes('*')) return spec('ptr');
  // Addresses and fds that the kernel declares as unsigned long: strace shows NULL / 0x… and -1.
  if (MEMORY_CALLS.has(syscall) && ADDRESS_NAMES.has(name)) return spec('ptr');
  if (syscall === 'mmap' && name === 'fd') return spec('sint', 32);
  if (name === 'dfd' || name === 'olddfd' || name === 'newdfd') return spec('dirfd', 32);
  if (name === 'mode' && (base === 'umode_t' || base === 'int' || base === 'unsigned int')) return spec('mode', 32);
  if ((syscall === 'open' || syscall === 'openat') && name === 'flags') return spec('openflags', 32);
  if ((syscall === 'mmap' || syscall === 'mprotect' || syscall === 'pkey_mprotect') && name === 'prot') return spec('prot', 32);
  if (syscall === 'mmap' && name === 'flags') return spec('mapflags', 32);
  if (/flags$/.test(name)) return spec('hex', SIGNED_32.has(base) || UNSIGNED_32.has(base) ? 32 : 64);
  if (SIGNED_32.has(base)) return spec('sint', 32);
  if (UNSIGNED_32.has(base)) return spec('uint', 32);
  if (SIGNED_64.has(base)) return spec('sint');
  return spec('uint');
}

/** The argument fields of one `sys_enter_NAME/format` file, in order. */
export function parseTracepointFormat(syscall: string, text: string): Signature {
  const args: ArgSpec[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*field:(.*?)\s*([A-Za-z_]\w*)(?:\[\d*\])?;/.exec(line);
    if (!match) continue;
    const [, type, name] = match as unknown as [string, string, string];
    if (name.startsWith('common_') || name === '__syscall_nr') continue;
    args.push(classifyArg(syscall, type, name));
  }
  return { name: syscall, args };
}

/**
 * Reads the signature of every syscall in `table` from tracefs. Syscalls
 * without a format file (no tracepoint on this kernel) are left out; their
 * events show all six raw arguments.
 */
export function loadSignatures(table: SyscallTable, tracefs: string): Map<string, Signature> {
  const signatures = new Map<string, Signature>();
  for (const [, name] of table.entries()) {
    try {
      const text = readFileSync(join(tracefs, 'events/syscalls', `sys_enter_${tracepointName(name)}`, 'format'), 'utf8');
      signatures.set(name, parseTracepointFormat(name, text));
    } catch {
      // No tracepoint for this one here (e.g. an arch-specific or removed syscall).
    }
  }
  return signatures;
}
