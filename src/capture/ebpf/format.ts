/**
 * Turns the raw values the kernel program collected (six 64-bit argument
 * registers, strings read from the caller's memory, a socket address, the
 * return register) into the `args` / `ret` / `error` text strace would print.
 */
import { errnoInfo, errnoName } from '../../kb/errno.js';
import type { Arch, ArgSpec, Signature } from './syscalls.js';

/** A socket address read from the caller: family, port and address words as the kernel program stored them. */
export interface RawSockaddr {
  family: number;
  /** The 16-bit port field as read little-endian (network byte order in memory). */
  port: number;
  /** AF_INET: the address word (read little-endian); AF_INET6: sin6_flowinfo. */
  word4: bigint;
  /** AF_INET6: address bytes 0-7 and 8-15, each read as a little-endian 64-bit word. */
  addrHigh: bigint;
  addrLow: bigint;
  scopeId: bigint;
}

export interface RawCall {
  /** The six argument registers as unsigned decimal text (as bpftrace prints them). */
  args: readonly string[];
  /** Strings by argument index (already cut at their NUL). `truncated`: the kernel's read limit was hit. */
  strings: ReadonlyMap<number, { bytes: Buffer; truncated: boolean }>;
  sockaddr?: { raw?: RawSockaddr; unixPath?: Buffer };
  /** execve argv elements, and whether more followed. */
  argv?: { items: Buffer[]; more: boolean };
}

/**
 * Escapes bytes the way strace prints a C string: printable ASCII as is,
 * `\n \t \r \v \f \" \\`, anything else in octal (`\33`, `\303`). The result
 * is plain ASCII, safe on any terminal. `limit` cuts like `-s` and adds `...`.
 */
export function quoteBytes(bytes: Buffer, limit = Number.POSITIVE_INFINITY, truncated = false): string {
  const shown = bytes.length > limit ? bytes.subarray(0, limit) : bytes;
  let out = '"';
  for (let i = 0; i < shown.length; i++) {
    const byte = shown[i]!;
    switch (byte) {
      case 0x0a: out += '\\n'; continue;
      case 0x09: out += '\\t'; continue;
      case 0x0d: out += '\\r'; continue;
      case 0x0b: out += '\\v'; continue;
      case 0x0c: out += '\\f'; continue;
      case 0x22: out += '\\"'; continue;
      case 0x5c: out += '\\\\'; continue;
    }
    if (byte >= 0x20 && byte < 0x7f) {
      out += String.fromCharCode(byte);
      continue;
    }
    const next = shown[i + 1];
    // A following octal digit would extend a short escape: pad to three digits then.
    const digits = byte.toString(8);
    out += '\\' + (next !== undefined && next >= 0x30 && next <= 0x37 ? digits.padStart(3, '0') : digits);
  }
  out += '"';
  if (shown.length < bytes.length || truncated) out += '...';
  return out;
}

const hex = (value: bigint): string => `0x${value.toString(16)}`;

// Registers arrive as unsigned decimal text; most are small, so BigInt is used only when needed.
/** 0x… of an unsigned decimal text. */
const hexText = (text: string): string => `0x${text.length <= 15 ? Number(text).toString(16) : BigInt(text).toString(16)}`;
/** The low 32 bits as a signed int (≤ 9 digits is below 2^31: already the value). */
const signed32 = (text: string): string => (text.length <= 9 ? text : BigInt.asIntN(32, BigInt(text)).toString());
const unsigned32 = (text: string): string => (text.length <= 9 ? text : BigInt.asUintN(32, BigInt(text)).toString());
/** Signed 64 (≤ 18 digits is below 2^63). */
const signed64 = (text: string): string => (text.length <= 18 ? text : BigInt.asIntN(64, BigInt(text)).toString());
const isZero = (text: string): boolean => text === '0';

function flagNames(value: bigint, table: ReadonlyArray<readonly [string, bigint]>, zero?: string): string {
  if (value === 0n && zero !== undefined) return zero;
  const parts: string[] = [];
  let rest = value;
  for (const [name, bit] of table) {
    if (bit !== 0n && (rest & bit) === bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0n || parts.length === 0) parts.push(hex(rest));
  return parts.join('|');
}

// asm-generic/fcntl.h; x86_64 uses the generic values, arm64 swaps four of them.
const OPEN_FLAGS_GENERIC: ReadonlyArray<readonly [string, bigint]> = [
  ['O_CREAT', 0o100n], ['O_EXCL', 0o200n], ['O_NOCTTY', 0o400n], ['O_TRUNC', 0o1000n], ['O_APPEND', 0o2000n],
  ['O_NONBLOCK', 0o4000n], ['O_SYNC', 0o4010000n], ['O_DSYNC', 0o10000n], ['O_ASYNC', 0o20000n], ['O_DIRECT', 0o40000n],
  ['O_LARGEFILE', 0o100000n], ['O_TMPFILE', 0o20200000n], ['O_DIRECTORY', 0o200000n], ['O_NOFOLLOW', 0o400000n], ['O_NOATIME', 0o1000000n],
  ['O_CLOEXEC', 0o2000000n], ['O_PATH', 0o10000000n],
];
const OPEN_FLAGS_ARM64: ReadonlyArray<readonly [string, bigint]> = OPEN_FLAGS_GENERIC.map(([name, bit]): readonly [string, bigint] => {
  const arm: Record<string, bigint> = { O_DIRECTORY: 0o40000n, O_NOFOLLOW: 0o100000n, O_DIRECT: 0o200000n, O_LARGEFILE: 0o400000n, O_TMPFILE: 0o20040000n };
  return [name, arm[name] ?? bit];
});
const PROT_FLAGS: ReadonlyArray<readonly [string, bigint]> = [['PROT_READ', 1n], ['PROT_WRITE', 2n], ['PROT_EXEC', 4n], ['PROT_SEM', 8n], ['PROT_GROWSDOWN', 0x1000000n], ['PROT_GROWSUP', 0x2000000n]];
const MAP_FLAGS: ReadonlyArray<readonly [string, bigint]> = [
  ['MAP_SHARED_VALIDATE', 3n], ['MAP_SHARED', 1n], ['MAP_PRIVATE', 2n], ['MAP_FIXED', 0x10n], ['MAP_ANONYMOUS', 0x20n], ['MAP_32BIT', 0x40n],
  ['MAP_GROWSDOWN', 0x100n], ['MAP_DENYWRITE', 0x800n], ['MAP_EXECUTABLE', 0x1000n], ['MAP_LOCKED', 0x2000n], ['MAP_NORESERVE', 0x4000n],
  ['MAP_POPULATE', 0x8000n], ['MAP_NONBLOCK', 0x10000n], ['MAP_STACK', 0x20000n], ['MAP_HUGETLB', 0x40000n], ['MAP_SYNC', 0x80000n],
  ['MAP_FIXED_NOREPLACE', 0x100000n],
];

export function formatOpenFlags(value: bigint, arch: Arch): string {
  const access = value & 3n;
  const mode = access === 0n ? 'O_RDONLY' : access === 1n ? 'O_WRONLY' : access === 2n ? 'O_RDWR' : 'O_ACCMODE';
  const rest = value & ~3n;
  return rest === 0n ? mode : `${mode}|${flagNames(rest, arch === 'aarch64' ? OPEN_FLAGS_ARM64 : OPEN_FLAGS_GENERIC)}`;
}

function ipv4(word: bigint): string {
  const n = Number(word & 0xffffffffn);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

/** RFC 5952 text of 16 address bytes. */
export function ipv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.subarray(12).join('.')}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart === -1) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

const netPort = (raw: number): number => ((raw & 0xff) << 8) | ((raw >> 8) & 0xff);

export function formatSockaddr(sockaddr: NonNullable<RawCall['sockaddr']>): string | undefined {
  const { raw, unixPath } = sockaddr;
  if (unixPath !== undefined && (raw === undefined || raw.family === 1)) return `{sa_family=AF_UNIX, sun_path=${quoteBytes(unixPath)}}`;
  if (raw === undefined) return undefined;
  switch (raw.family) {
    case 0:
      return '{sa_family=AF_UNSPEC}';
    case 2:
      return `{sa_family=AF_INET, sin_port=htons(${netPort(raw.port)}), sin_addr=inet_addr("${ipv4(raw.word4)}")}`;
    case 10: {
      const bytes = Buffer.alloc(16);
      bytes.writeBigUInt64LE(BigInt.asUintN(64, raw.addrHigh), 0);
      bytes.writeBigUInt64LE(BigInt.asUintN(64, raw.addrLow), 8);
      const flow = Number(raw.word4 & 0xffffffffn);
      const flowinfo = ((flow & 0xff) << 24 | ((flow >>> 8) & 0xff) << 16 | ((flow >>> 16) & 0xff) << 8 | (flow >>> 24)) >>> 0;
      return `{sa_family=AF_INET6, sin6_port=htons(${netPort(raw.port)}), sin6_flowinfo=htonl(${flowinfo}), inet_pton(AF_INET6, "${ipv6(bytes)}", &sin6_addr), sin6_scope_id=${BigInt.asUintN(32, raw.scopeId)}}`;
    }
    case 16:
      return '{sa_family=AF_NETLINK}';
    default:
      return `{sa_family=${raw.family}}`;
  }
}

function formatValue(spec: ArgSpec, text: string, call: RawCall, index: number, arch: Arch, stringLimit: number): string {
  switch (spec.kind) {
    case 'sint':
      return spec.bits === 32 ? signed32(text) : signed64(text);
    case 'uint':
      return spec.bits === 32 ? unsigned32(text) : text;
    case 'hex': {
      const value = spec.bits === 32 ? unsigned32(text) : text;
      return isZero(value) ? '0' : hexText(value);
    }
    case 'ptr':
      return isZero(text) ? 'NULL' : hexText(text);
    case 'dirfd': {
      const fd = signed32(text);
      return fd === '-100' ? 'AT_FDCWD' : fd;
    }
    case 'mode':
      return `0${BigInt(unsigned32(text)).toString(8).padStart(2, '0')}`;
    case 'openflags':
      return formatOpenFlags(BigInt(unsigned32(text)), arch);
    case 'prot':
      return flagNames(BigInt(unsigned32(text)), PROT_FLAGS, 'PROT_NONE');
    case 'mapflags':
      return flagNames(BigInt(unsigned32(text)), MAP_FLAGS);
    case 'string':
    case 'path': {
      if (isZero(text)) return 'NULL';
      const string = call.strings.get(index);
      if (string === undefined) return hexText(text);
      return quoteBytes(string.bytes, spec.kind === 'path' ? Number.POSITIVE_INFINITY : stringLimit, string.truncated);
    }
    case 'sockaddr':
      if (isZero(text)) return 'NULL';
      return (call.sockaddr && formatSockaddr(call.sockaddr)) ?? hexText(text);
    case 'argv': {
      if (isZero(text)) return 'NULL';
      if (call.argv === undefined) return hexText(text);
      const items = call.argv.items.map((item) => quoteBytes(item, stringLimit));
      if (call.argv.more) items.push('...');
      return `[${items.join(', ')}]`;
    }
  }
}

/**
 * The argument text of one call. Without a known signature all six
 * registers are shown in hex. open/openat drop the mode unless a file may
 * be created, as strace does.
 */
export function formatArgs(signature: Signature | undefined, call: RawCall, arch: Arch, stringLimit: number): string {
  if (signature === undefined) return call.args.map(hexText).join(', ');
  let hideMode = false;
  if (signature.name === 'open' || signature.name === 'openat') {
    const flagsAt = signature.args.findIndex((spec) => spec.kind === 'openflags');
    const flags = Number(BigInt(unsigned32(call.args[flagsAt] ?? '0')));
    hideMode = (flags & 0o100) === 0 && (flags & 0o20000000) === 0;
  }
  const parts: string[] = [];
  for (let index = 0; index < signature.args.length; index++) {
    const spec = signature.args[index]!;
    if (hideMode && spec.kind === 'mode') continue;
    parts.push(formatValue(spec, call.args[index] ?? '0', call, index, arch, stringLimit));
  }
  return parts.join(', ');
}

/** Calls whose result is an address (strace prints it in hex). */
const ADDRESS_RESULTS = new Set(['mmap', 'mmap2', 'mremap', 'brk', 'shmat']);

const errnoNames = new Map<number, string>();
function errnoNameCached(number: number): string {
  let name = errnoNames.get(number);
  if (name === undefined) {
    name = errnoName(number) ?? `ERRNO_${number}`;
    errnoNames.set(number, name);
  }
  return name;
}

/**
 * `ret` and `error` from the raw return register: -4095..-1 is an error
 * (`ret` "-1", or "?" for the kernel's restart codes, as strace shows them).
 */
export function formatReturn(syscall: string, ret: string): { ret: string; error: string } {
  if (ret.startsWith('-') && ret.length <= 5 && Number(ret) >= -4095) {
    const error = errnoNameCached(-Number(ret));
    return { ret: errnoInfo(error)?.pseudo ? '?' : '-1', error };
  }
  if (ADDRESS_RESULTS.has(syscall)) return { ret: hex(BigInt.asUintN(64, BigInt(ret))), error: '' };
  return { ret, error: '' };
}
