/**
 * strace-style text from raw kernel values: argument classification from
 * tracepoint format files, C-string escaping (untrusted bytes never reach a
 * terminal raw), flags, socket addresses, returns and errno names.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatArgs, formatOpenFlags, formatReturn, formatSockaddr, ipv6, quoteBytes, type RawCall } from '../../src/capture/ebpf/format.js';
import { classifyArg, parseTracepointFormat, tracepointName } from '../../src/capture/ebpf/syscalls.js';

// Verbatim from /sys/kernel/tracing/events/syscalls/sys_enter_openat/format (Linux 6.18, x86_64).
const OPENAT_FORMAT = `name: sys_enter_openat
ID: 741
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
`;

const call = (args: string[], extra: Partial<RawCall> = {}): RawCall => ({ args, strings: new Map(), ...extra });
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('argument signatures from tracepoint formats', () => {
  it('parses openat: dirfd, path, open flags, mode', () => {
    const signature = parseTracepointFormat('openat', OPENAT_FORMAT);
    assert.deepEqual(
      signature.args.map((arg) => [arg.name, arg.kind]),
      [['dfd', 'dirfd'], ['filename', 'path'], ['flags', 'openflags'], ['mode', 'mode']],
    );
  });

  it('reads this kernel’s own format files when tracefs is there', (t) => {
    const path = '/sys/kernel/tracing/events/syscalls/sys_enter_connect/format';
    if (!existsSync(path)) return t.skip('tracefs is not mounted');
    const signature = parseTracepointFormat('connect', readFileSync(path, 'utf8'));
    assert.deepEqual(signature.args.map((arg) => arg.kind), ['sint', 'sockaddr', 'sint']);
  });

  it('classifies the argument kinds strace distinguishes', () => {
    assert.equal(classifyArg('write', 'const char *', 'buf').kind, 'ptr'); // data, not a string
    assert.equal(classifyArg('setxattr', 'const char *', 'name').kind, 'string'); // -s limited
    assert.equal(classifyArg('execve', 'const char *const *', 'argv').kind, 'argv');
    assert.equal(classifyArg('accept', 'struct sockaddr *', 'upeer_sockaddr').kind, 'ptr'); // an output
    assert.equal(classifyArg('mmap', 'unsigned long', 'addr').kind, 'ptr');
    assert.deepEqual([classifyArg('mmap', 'unsigned long', 'fd').kind, classifyArg('mmap', 'unsigned long', 'fd').bits], ['sint', 32]);
    assert.equal(classifyArg('read', 'size_t', 'count').kind, 'uint');
    assert.equal(classifyArg('lseek', 'off_t', 'offset').kind, 'sint');
    assert.equal(classifyArg('clone', 'unsigned long', 'clone_flags').kind, 'hex');
    assert.equal(tracepointName('stat'), 'newstat');
    assert.equal(tracepointName('openat'), 'openat');
  });
});

describe('strace-style formatting', () => {
  it('escapes strings like strace: control bytes, quotes, non-ASCII in octal', () => {
    assert.equal(quoteBytes(bytes('/tmp/a b')), '"/tmp/a b"');
    assert.equal(quoteBytes(bytes('x\n\t"\\\x1b[31m')), '"x\\n\\t\\"\\\\\\33[31m"');
    assert.equal(quoteBytes(Buffer.from('é', 'utf8')), '"\\303\\251"');
    // A short octal escape followed by a digit is padded so it cannot absorb it.
    assert.equal(quoteBytes(Buffer.from([1, 0x31])), '"\\0011"');
    assert.equal(quoteBytes(bytes('abcdefgh'), 4), '"abcd"...');
    assert.equal(quoteBytes(bytes('abc'), 32, true), '"abc"...');
    assert.match(quoteBytes(Buffer.from([0, 7, 0x7f, 0x9b, 0xff])), /^"[\x20-\x7e]*"$/);
  });

  it('formats openat: AT_FDCWD, the path in full, flags by name, the mode only when creating', () => {
    const signature = parseTracepointFormat('openat', OPENAT_FORMAT);
    const path = '/a/'.padEnd(120, 'x');
    const strings = new Map([[1, { bytes: bytes(path), truncated: false }]]);
    const cut = formatArgs(signature, call(['18446744073709551516', '140000', String(0o2000000), '0'], { strings }), 'x86_64', 32);
    assert.equal(cut, `AT_FDCWD, "${path}", O_RDONLY|O_CLOEXEC`);
    const create = formatArgs(signature, call(['3', '140000', String(0o1101), String(0o644)], { strings }), 'x86_64', 32);
    assert.equal(create, `3, "${path}", O_WRONLY|O_CREAT|O_TRUNC, 0644`);
    // No string read (e.g. its map entry was lost): the address, as strace shows unreadable memory.
    assert.equal(formatArgs(signature, call(['3', '140000', '0', '0']), 'x86_64', 32), '3, 0x222e0, O_RDONLY');
  });

  it('open flags follow the architecture', () => {
    assert.equal(formatOpenFlags(0o200000n, 'x86_64'), 'O_RDONLY|O_DIRECTORY');
    assert.equal(formatOpenFlags(0o40000n, 'aarch64'), 'O_RDONLY|O_DIRECTORY');
    assert.equal(formatOpenFlags(0o2n | 0o4000n | 0o40000000000n, 'x86_64'), 'O_RDWR|O_NONBLOCK|0x100000000');
  });

  it('formats execve with argv (strings cut at -s) and the environment pointer', () => {
    const signature = { name: 'execve', args: [classifyArg('execve', 'const char *', 'filename'), classifyArg('execve', 'const char *const *', 'argv'), classifyArg('execve', 'const char *const *', 'envp')] };
    const raw = call(['100', '200', '300'], {
      strings: new Map([[0, { bytes: bytes('/usr/bin/ls'), truncated: false }]]),
      argv: { items: [bytes('ls'), bytes('-l'), bytes('a-rather-long-argument-here')], more: true },
    });
    assert.equal(formatArgs(signature, raw, 'x86_64', 8), '"/usr/bin/ls", ["ls", "-l", "a-rather"...,  ...], 0x12c'.replace(',  ...', ', ...'));
  });

  it('formats socket addresses: IPv4, IPv6, AF_UNIX', () => {
    // 127.0.0.1:8080 as read little-endian from network-order bytes.
    assert.equal(formatSockaddr({ raw: { family: 2, port: 0x901f, word4: 0x0100007fn, addrHigh: 0n, addrLow: 0n, scopeId: 0n } }), '{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}');
    const loopback6 = Buffer.alloc(16);
    loopback6[15] = 1;
    assert.equal(
      formatSockaddr({ raw: { family: 10, port: 0xbb01, word4: 0n, addrHigh: loopback6.readBigUInt64LE(0), addrLow: loopback6.readBigUInt64LE(8), scopeId: 0n } }),
      '{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}',
    );
    assert.equal(formatSockaddr({ unixPath: bytes('/run/x\n.sock') }), '{sa_family=AF_UNIX, sun_path="/run/x\\n.sock"}');
    assert.equal(ipv6(Buffer.from('20010db8000000000000000000000001', 'hex')), '2001:db8::1');
    assert.equal(ipv6(Buffer.from('00000000000000000000ffffc0a80001', 'hex')), '::ffff:192.168.0.1');
    assert.equal(ipv6(Buffer.from('fe800000000000000000000000000000', 'hex')), 'fe80::');
  });

  it('returns: errors as -1 + errno name, restart codes as ?, addresses in hex', () => {
    assert.deepEqual(formatReturn('openat', '-2'), { ret: '-1', error: 'ENOENT' });
    assert.deepEqual(formatReturn('connect', '-111'), { ret: '-1', error: 'ECONNREFUSED' });
    assert.deepEqual(formatReturn('read', '-512'), { ret: '?', error: 'ERESTARTSYS' });
    assert.deepEqual(formatReturn('clock_nanosleep', '-516'), { ret: '?', error: 'ERESTART_RESTARTBLOCK' });
    assert.deepEqual(formatReturn('read', '-4095'), { ret: '-1', error: 'ERRNO_4095' });
    assert.deepEqual(formatReturn('mmap', '140737488289792'), { ret: '0x7fffffff0000', error: '' });
    assert.deepEqual(formatReturn('lseek', '-5000'), { ret: '-5000', error: '' });
    assert.deepEqual(formatReturn('read', '3'), { ret: '3', error: '' });
  });

  it('without a known signature all six registers are shown in hex', () => {
    assert.equal(formatArgs(undefined, call(['0', '1', '255', '18446744073709551615', '16', '4096']), 'x86_64', 32), '0x0, 0x1, 0xff, 0xffffffffffffffff, 0x10, 0x1000');
  });
});
