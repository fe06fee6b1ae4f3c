/**
 * The line scanner, form by form, on lines copied from the fixture traces
 * (../shared/fixtures/strace) plus a few strace forms they do not contain.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findArgsEnd, newScannedLine, scanStraceLine, type ScannedLine } from '../../src/strace/line.js';

function scan(line: string): ScannedLine {
  const out = newScannedLine();
  scanStraceLine(line, out);
  return out;
}

function call(line: string): Pick<ScannedLine, 'kind' | 'pid' | 'name' | 'args' | 'ret' | 'retPath' | 'error' | 'latencyNs'> {
  const s = scan(line);
  return { kind: s.kind, pid: s.pid, name: s.name, args: s.args, ret: s.ret, retPath: s.retPath, error: s.error, latencyNs: s.latencyNs };
}

function stamp(line: string): string {
  const s = scan(line);
  return `${s.stampKind}:${line.slice(s.stampStart, s.stampEnd)}`;
}

describe('scanStraceLine: prefixes and time stamps', () => {
  it('plain (cat_os_release)', () => {
    const s = call('brk(NULL)                               = 0x55f7d3092000');
    assert.deepEqual(s, { kind: 'syscall', pid: -1, name: 'brk', args: 'NULL', ret: '0x55f7d3092000', retPath: '', error: '', latencyNs: 0 });
    assert.equal(scan('brk(NULL)                               = 0x55f7d3092000').stampKind, 'none');
  });

  it('-f -o `PID ` prefix with -tt and -T (perl_socketpair_fork)', () => {
    const line = '24951 20:53:07.739805 brk(NULL)         = 0x56302b793000 <0.000039>';
    assert.deepEqual(call(line), { kind: 'syscall', pid: 24951, name: 'brk', args: 'NULL', ret: '0x56302b793000', retPath: '', error: '', latencyNs: 39_000 });
    assert.equal(stamp(line), 'clock:20:53:07.739805');
  });

  it('`[pid N]` prefix with -t (sh_date_id_uname, stderr)', () => {
    const line = '[pid 25253] 20:53:09 close(3)           = 0';
    assert.equal(call(line).pid, 25253);
    assert.equal(call(line).name, 'close');
    assert.equal(stamp(line), 'clock:20:53:09');
    assert.equal(call('[pid  4242] read(3, "", 10) = 0').pid, 4242); // older strace pads the pid
  });

  it('-ttt with a PID prefix (sort_parallel)', () => {
    const line = '25049 1795812788.302482 brk(NULL)       = 0x562a16fc0000 <0.000006>';
    assert.equal(call(line).pid, 25049);
    assert.equal(stamp(line), 'seconds:1795812788.302482');
  });

  it('-r without -f is left-padded (dd_zero_null), with -f follows the PID (sh_sleep_wait)', () => {
    const padded = '     0.000614 brk(NULL)                 = 0x55cdbb970000 <0.000008>';
    assert.equal(call(padded).pid, -1);
    assert.equal(stamp(padded), 'seconds:0.000614');
    const withPid = '25144      0.000249 brk(NULL)           = 0x56468f922000 <0.000006>';
    assert.equal(call(withPid).pid, 25144);
    assert.equal(stamp(withPid), 'seconds:0.000249');
  });

  it('-i and -n columns are skipped', () => {
    assert.equal(call('[00007f0d94c4e3c7] brk(NULL) = 0x1').name, 'brk');
    assert.equal(call('20:53:09.000001 [  12] brk(NULL) = 0x1').name, 'brk');
  });
});

describe('scanStraceLine: results', () => {
  it('errno with its text', () => {
    assert.deepEqual(call('access("/etc/ld.so.preload", R_OK)      = -1 ENOENT (No such file or directory)'), {
      kind: 'syscall',
      pid: -1,
      name: 'access',
      args: '"/etc/ld.so.preload", R_OK',
      ret: '-1',
      retPath: '',
      error: 'ENOENT',
      latencyNs: 0,
    });
  });

  it('only -1 and ? carry an errno (as strace counts errors)', () => {
    assert.equal(call('foo(1) = 5 EFOO (looks like an errno)').error, '');
    assert.equal(call('foo(1) = 5 EFOO (looks like an errno)').ret, '5');
  });

  it('= ? (exit_group) has no error', () => {
    const s = call('[pid 25253] 20:53:09 exit_group(0)      = ?');
    assert.equal(s.ret, '?');
    assert.equal(s.error, '');
  });

  it('= ? ERESTARTSYS (…) is an error with the pseudo-errno', () => {
    const s = call('24951 20:53:07.906339 <... read resumed>0x56302b93b5a0, 4096) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.059785>');
    assert.equal(s.kind, 'resumed');
    assert.equal(s.name, 'read');
    assert.equal(s.args, '0x56302b93b5a0, 4096');
    assert.equal(s.ret, '?');
    assert.equal(s.error, 'ERESTARTSYS');
    assert.equal(s.latencyNs, 59_785_000);
  });

  it('ERESTARTNOHAND and ERESTART_RESTARTBLOCK', () => {
    assert.equal(call('24951 20:53:07.835814 <... pselect6 resumed>) = ? ERESTARTNOHAND (To be restarted if no handler) <0.029919>').error, 'ERESTARTNOHAND');
    const s = call('25148      0.000012 <... clock_nanosleep resumed>{tv_sec=4, tv_nsec=948538502}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal) <4.948>');
    assert.equal(s.error, 'ERESTART_RESTARTBLOCK');
    assert.equal(s.latencyNs, 4_948_000_000);
  });

  it('rt_sigreturn = -1 EINTR is an EINTR error; = 25253 is not an error', () => {
    assert.equal(call('24951 20:53:07.835941 rt_sigreturn({mask=[]}) = -1 EINTR (Interrupted system call) <0.000008>').error, 'EINTR');
    const ok = call('20:53:09 rt_sigreturn({mask=[]})        = 25253');
    assert.equal(ok.ret, '25253');
    assert.equal(ok.error, '');
  });

  it('text after the return value: (Timeout), (flags …)', () => {
    const timeout = call('24952 20:53:07.815811 pselect6(0, NULL, NULL, NULL, {tv_sec=0, tv_nsec=10000000}, NULL) = 0 (Timeout) <0.010099>');
    assert.equal(timeout.ret, '0');
    assert.equal(timeout.error, '');
    assert.equal(timeout.latencyNs, 10_099_000);
    const flags = call('20:53:08.592483 fcntl(4, F_GETFL)       = 0x38800 (flags O_RDONLY|O_NONBLOCK|O_LARGEFILE|O_NOFOLLOW|O_DIRECTORY) <0.000007>');
    assert.equal(flags.ret, '0x38800');
    assert.equal(flags.args, '4, F_GETFL');
  });

  it('a value in brackets is not an error: getsockopt(…, [ECONNREFUSED], [4]) = 0', () => {
    const s = call('25195 20:53:09.474208 getsockopt(22<socket:[42866]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0 <0.000009>');
    assert.equal(s.error, '');
    assert.equal(s.args, '22<socket:[42866]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]');
  });

  it('latency is exact integer nanoseconds, also with 9 digits', () => {
    assert.equal(call('read(0, "", 1) = 0 <0.000007>').latencyNs, 7000);
    assert.equal(call('read(0, "", 1) = 0 <12.345678>').latencyNs, 12_345_678_000);
    assert.equal(call('read(0, "", 1) = 0 <0.000000123>').latencyNs, 123);
    assert.equal(call('read(0, "", 1) = 0 <1.1>').latencyNs, 1_100_000_000);
    assert.equal(call('read(0, "", 1) = 0 <0.123456789999>').latencyNs, 123_456_789, 'beyond ns: truncated');
    assert.equal(call('read(0, "", 1) = 0 <999999.999999>').latencyNs, 999_999_999_999_000);
    assert.equal(call('read(0, "", 1) = 0 <1234567.0>').latencyNs, 0, 'not a -T value strace prints');
    assert.equal(call('read(0, "", 1) = 0 <0.1234567890123456>').latencyNs, 0);
    assert.equal(call('read(0, "", 1) = 0 <.5>').latencyNs, 0);
  });
});

describe('scanStraceLine: -y / -yy decorations', () => {
  it('a decorated return value keeps the number in ret and the path in retPath (node_net_dns)', () => {
    const s = call('25195 20:53:09.371400 openat(AT_FDCWD</tmp/stracectl-fixtures>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache> <0.000008>');
    assert.equal(s.args, 'AT_FDCWD</tmp/stracectl-fixtures>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC');
    assert.equal(s.ret, '3');
    assert.equal(s.retPath, '/etc/ld.so.cache');
    assert.equal(s.latencyNs, 8000);
  });

  it('nested <…> and socket arrows (python_sqlite, -yy)', () => {
    const nested = call('newfstatat(0</dev/null<char 1:3>>, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0 <0.000008>');
    assert.equal(nested.args, '0</dev/null<char 1:3>>, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH');
    const accept = call(
      'accept4(3<TCP:[127.0.0.1:33421]>, {sa_family=AF_INET, sin_port=htons(52136), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 5<TCP:[127.0.0.1:33421->127.0.0.1:52136]> <0.000059>',
    );
    assert.equal(accept.ret, '5');
    assert.equal(accept.retPath, 'TCP:[127.0.0.1:33421->127.0.0.1:52136]');
    assert.equal(accept.latencyNs, 59_000);
    const sock = call('socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<TCP:[41984]> <0.000021>');
    assert.equal(sock.retPath, 'TCP:[41984]');
  });

  it('in/out values (`[128 => 16]`) are plain text', () => {
    const s = call(
      'getsockname(5<TCP:[127.0.0.1:33421->127.0.0.1:52136]>, {sa_family=AF_INET, sin_port=htons(33421), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0 <0.000045>',
    );
    assert.equal(s.ret, '0');
    assert.ok(s.args.endsWith('[128 => 16]'));
  });

  it('a path with ) and " inside a decoration (strace escapes only <, >, " and \\ there)', () => {
    const s = call('read(3</tmp/a) = 1 \\"x>, "", 1) = 0');
    assert.equal(s.args, '3</tmp/a) = 1 \\"x>, "", 1');
    assert.equal(s.ret, '0');
  });
});

describe('scanStraceLine: strings', () => {
  it('-x / -xx hex strings and "..." truncation (python_denied_missing, dd_zero_null)', () => {
    const hex = call('25353 20:53:10 write(3, "\\x63\\x61\\x66\\xc3\\xa9\\x20\\xe2\\x9c\\x93\\x20\\x74\\x61\\x62\\x09\\x68\\x65\\x72\\x65\\x0a", 19) = 19 <0.000052>');
    assert.equal(hex.ret, '19');
    assert.ok(hex.args.startsWith('3, "\\x63'));
    const truncated = call('     0.000040 access("\\x2f\\x65\\x74\\x63\\x2f\\x6c\\x64\\x2e"..., R_OK) = -1 ENOENT (No such file or directory) <0.000011>');
    assert.equal(truncated.error, 'ENOENT');
    assert.equal(truncated.args, '"\\x2f\\x65\\x74\\x63\\x2f\\x6c\\x64\\x2e"..., R_OK');
  });

  it('escaped quotes and strace syntax inside strings (perl_socketpair_fork, sh_sleep_wait)', () => {
    const s = call('24951 20:53:07.763872 read(4, "..11,57]\\n    \'layer\'\\t\\t\\t\\t=> \\"\\\\x00"..., 8192) = 8192 <0.000053>');
    assert.equal(s.ret, '8192');
    assert.equal(s.args, '4, "..11,57]\\n    \'layer\'\\t\\t\\t\\t=> \\"\\\\x00"..., 8192');
    const fake = call('write(1, "x) = -1 EPERM (y <unfinished ...>", 36) = 36');
    assert.equal(fake.kind, 'syscall');
    assert.equal(fake.ret, '36');
    assert.equal(fake.error, '');
    assert.equal(fake.args, '1, "x) = -1 EPERM (y <unfinished ...>", 36');
  });

  it('parentheses inside structs (`{WIFEXITED(s) && …}`)', () => {
    const s = call('25144      0.000025 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 25145 <0.000014>');
    assert.equal(s.args, '-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL');
    assert.equal(s.ret, '25145');
  });

  it('findArgsEnd: -1 when the list is not closed, -2 when a string is not closed', () => {
    assert.equal(findArgsEnd('f(a, b', 2, 6), -1);
    assert.equal(findArgsEnd('f(a, "b)', 2, 8), -2);
    assert.equal(findArgsEnd('f(a, (b)) = 0', 2, 13), 8);
  });
});

describe('scanStraceLine: unfinished / resumed', () => {
  it('the unfinished half: args seen so far, without the space before <unfinished ...>', () => {
    const wait = scan('[pid 25252] 20:53:09 wait4(-1,  <unfinished ...>');
    assert.equal(wait.kind, 'unfinished');
    assert.equal(wait.name, 'wait4');
    assert.equal(wait.args, '-1, ');
    const vfork = scan('20:53:09 vfork( <unfinished ...>');
    assert.equal(vfork.kind, 'unfinished');
    assert.equal(vfork.pid, -1);
    assert.equal(vfork.args, '');
    const decorated = scan('25196 20:53:09.479224 close(11<pipe:[43108]> <unfinished ...>');
    assert.equal(decorated.args, '11<pipe:[43108]>');
  });

  it('the resumed half: the rest of the args and the result', () => {
    const s = scan('[pid 25252] 20:53:09 <... vfork resumed>) = 25253');
    assert.equal(s.kind, 'resumed');
    assert.equal(s.name, 'vfork');
    assert.equal(s.args, '');
    assert.equal(s.ret, '25253');
    const rest = scan('20:53:09 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 25253');
    assert.equal(rest.args, '[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL');
    const gone = scan('25200 20:53:09.479007 <... exit resumed>) = ?');
    assert.equal(gone.ret, '?');
    const old = scan('[pid 7] <... futex resumed> <unfinished ...>) = ?');
    assert.equal(old.kind, 'resumed');
    assert.equal(old.args, '');
  });

  it('a complete call whose string ends in <unfinished ...> text is not unfinished', () => {
    const s = scan('write(1, "a <unfinished ...>", 19) = 19');
    assert.equal(s.kind, 'syscall');
  });
});

describe('scanStraceLine: other lines', () => {
  it('signals', () => {
    const s = scan('24951 20:53:07.959793 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24952, si_uid=0, si_status=7, si_utime=0, si_stime=0} ---');
    assert.equal(s.kind, 'signal');
    assert.equal(s.pid, 24951);
    assert.equal(s.text, 'SIGCHLD');
    assert.equal(s.detail, '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24952, si_uid=0, si_status=7, si_utime=0, si_stime=0}');
  });

  it('exits', () => {
    const exited = scan('24952 20:53:07.959753 +++ exited with 7 +++');
    assert.equal(exited.kind, 'exit');
    assert.equal(exited.text, 'exited');
    assert.equal(exited.detail, 'with 7');
    const killed = scan('     0.000350 +++ killed by SIGTERM +++');
    assert.equal(killed.kind, 'exit');
    assert.equal(killed.detail, 'by SIGTERM');
  });

  it('strace messages, stack frames, the summary header', () => {
    const attached = scan('strace: Process 4242 attached');
    assert.equal(attached.kind, 'attached');
    assert.equal(attached.otherPid, 4242);
    assert.equal(scan('strace: Process 4242 detached').kind, 'detached');
    assert.equal(scan('strace: [ Process PID=4242 runs in x32 mode. ]').kind, 'info');
    assert.equal(scan(' > /usr/lib/x86_64-linux-gnu/libc.so.6(__write+0x14) [0x10e1a4]').kind, 'info');
    assert.equal(scan('% time     seconds  usecs/call     calls    errors syscall').kind, 'summary');
  });

  it('blank lines are blank; anything else is invalid with a reason', () => {
    assert.equal(scan('').kind, 'blank');
    assert.equal(scan('   ').kind, 'blank');
    for (const line of ['hello world', '{"pid":1}', 'read(3, "abc", 3)', 'read(3, "abc", 3) = ', 'read(3) = abc', '12:3 read(3) = 0', '[pid x] read(3) = 0', '<... read resumed', 'read(3) junk = 0']) {
      const s = scan(line);
      assert.equal(s.kind, 'invalid', line);
      assert.ok(s.text.length > 0);
    }
  });
});
