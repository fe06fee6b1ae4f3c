/**
 * StraceParser: pairing of unfinished/resumed calls, pids of unprefixed
 * lines, held events, unterminated calls, meta records, invalid lines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { StraceParser, type StraceParserOptions } from '../../src/strace/parser.js';

const traceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/strace');

function fixture(name: string): string[] {
  const lines = readFileSync(path.join(traceDir, `${name}.txt`), 'utf8').split('\n');
  lines.pop();
  return lines;
}

function parse(lines: string[], options: StraceParserOptions = {}): TraceRecord[] {
  const out: TraceRecord[] = [];
  const parser = new StraceParser({ date: '2026-11-27', ...options }, (record) => out.push(record));
  for (const line of lines) parser.push(line);
  parser.end();
  return out;
}

const events = (records: TraceRecord[]): SyscallEvent[] => records.filter((r): r is SyscallEvent => r.type === undefined);

describe('StraceParser: unfinished / resumed pairs', () => {
  it('one event: args joined, entry time of the first line, latency and result of the second (perl_socketpair_fork)', () => {
    const out = parse([
      '24951 20:53:07.846432 read(3,  <unfinished ...>',
      '24952 20:53:07.846556 pselect6(0, NULL, NULL, NULL, {tv_sec=0, tv_nsec=10000000}, NULL) = 0 (Timeout) <0.010105>',
      '24951 20:53:07.906339 <... read resumed>0x56302b93b5a0, 4096) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.059785>',
    ]);
    assert.deepEqual(out, [
      { pid: 24952, name: 'pselect6', args: '0, NULL, NULL, NULL, {tv_sec=0, tv_nsec=10000000}, NULL', ret: '0', latency_ns: 10_105_000, error: '', timestamp: '2026-11-27T20:53:07.846556Z' },
      { pid: 24951, name: 'read', args: '3, 0x56302b93b5a0, 4096', ret: '?', latency_ns: 59_785_000, error: 'ERESTARTSYS', timestamp: '2026-11-27T20:53:07.846432Z' },
    ]);
  });

  it('with every line prefixed, halves of different pids never pair', () => {
    const out = parse(['1 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>', '2 <... futex resumed>) = 0 <0.000010>']);
    assert.deepEqual(
      out.map((e) => [e.pid, e.args, e.ret, e.unfinished]),
      [
        [2, '', '0', undefined], // the trace began inside pid 2's call: only its second half is there
        [1, '0x1, FUTEX_WAIT, 0, NULL', '?', true], // never resumed: emitted at the end
      ],
    );
  });

  it('a call still unfinished at the end is emitted as ret "?", latency 0, unfinished: true', () => {
    const out = parse(['10 20:00:00.000001 read(0,  <unfinished ...>']);
    assert.deepEqual(out, [{ pid: 10, name: 'read', args: '0, ', ret: '?', latency_ns: 0, error: '', timestamp: '2026-11-27T20:00:00.000001Z', unfinished: true }]);
  });

  it('a process that exits with a call open: the call is emitted before the exit', () => {
    const out = parse(['10 read(0,  <unfinished ...>', '11 getpid() = 11', '10 +++ killed by SIGKILL +++'], { emitMeta: true });
    assert.deepEqual(
      out.map((r) => [r.type ?? r.name, r.pid]),
      [
        ['getpid', 11],
        ['read', 10],
        ['exit', 10],
      ],
    );
  });
});

describe('StraceParser: pids of unprefixed lines', () => {
  it('sh_date_id_uname: split pairs (one half unprefixed) pair up, with the parent pid', () => {
    const records = events(parse(fixture('sh_date_id_uname')));
    assert.equal(records.length, 524);
    const vforks = records.filter((e) => e.name === 'vfork');
    assert.deepEqual(
      vforks.map((e) => [e.pid, e.ret]),
      [
        [25252, '25253'],
        [25252, '25254'],
        [25252, '25255'],
      ],
    );
    const waits = records.filter((e) => e.name === 'wait4' && e.ret !== '-1');
    assert.deepEqual(
      waits.map((e) => [e.pid, e.ret, e.args]),
      [25253, 25254, 25255].map((child) => [25252, String(child), '-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL']),
    );
    // Before the first child: the shell, learned from set_tid_address (held until then).
    assert.equal(records[0]?.name, 'execve');
    assert.equal(records[0]?.pid, 25252);
    assert.deepEqual(new Set(records.map((e) => e.pid)), new Set([25252, 25253, 25254, 25255]));
  });

  it('no prefixes at all: every event gets the pid set_tid_address returned, also those before it', () => {
    const records = events(parse(fixture('cat_os_release')));
    assert.equal(records.length, 124);
    assert.deepEqual(new Set(records.map((e) => e.pid)), new Set([24904]));
  });

  it('learned from a prefixed line that resumes an unprefixed call', () => {
    const out = parse(['brk(NULL) = 0x1', 'vfork( <unfinished ...>', '[pid    11] exit_group(0) = ?', '[pid    10] <... vfork resumed>) = 11', 'brk(NULL) = 0x2']);
    assert.deepEqual(
      out.map((e) => [e.name, e.pid]),
      [
        ['brk', 10],
        ['exit_group', 11],
        ['vfork', 10],
        ['brk', 10],
      ],
    );
  });

  it('strace: Process N attached (-p) names the process', () => {
    const out = parse(['strace: Process 4242 attached', 'read(0, "", 1) = 0']);
    assert.equal(out[0]?.pid, 4242);
  });

  it('the pid option names it when the trace cannot', () => {
    assert.equal(parse(['read(0, "", 1) = 0'], { pid: 77 })[0]?.pid, 77);
  });

  it('after exit_group() = ? (no +++ line with -qq) the remaining process gets the unprefixed lines', () => {
    const out = parse(['set_tid_address(0x1) = 10', '[pid 11] exit_group(0) = ?', '[pid 10] wait4(-1,  <unfinished ...>', '<... wait4 resumed>NULL, 0, NULL) = 11']);
    assert.deepEqual(
      out.map((e) => [e.name, e.pid, e.args]),
      [
        ['set_tid_address', 10, '0x1'],
        ['exit_group', 11, '0'],
        ['wait4', 10, '-1, NULL, 0, NULL'],
      ],
    );
  });

  it('nothing known: events wait for pidLookahead events, then go out with pid 0 in order', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `brk(0x${i}) = 0x${i}`);
    const seen: number[] = [];
    const parser = new StraceParser({ pidLookahead: 4 }, (record) => seen.push((record as SyscallEvent).pid));
    for (const line of lines.slice(0, 3)) parser.push(line);
    assert.deepEqual(seen, [], 'held while under the lookahead');
    parser.push(lines[3] as string);
    assert.deepEqual(seen, [0, 0, 0, 0], 'released at the lookahead');
    parser.push(lines[4] as string);
    assert.equal(seen.length, 5, 'no more waiting after giving up');
    parser.push('getpid() = 99');
    parser.push(lines[5] as string);
    parser.end();
    assert.deepEqual(seen, [0, 0, 0, 0, 0, 99, 99], 'a pid learned later still applies to later lines');
  });

  it('pidLookahead 0: nothing is held', () => {
    const seen: TraceRecord[] = [];
    const parser = new StraceParser({ pidLookahead: 0 }, (record) => seen.push(record));
    parser.push('brk(NULL) = 0x1');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.pid, 0);
  });

  it('held events are released at the end with pid 0 when nothing was learned', () => {
    const out = parse(['brk(NULL) = 0x1', 'exit_group(0) = ?']);
    assert.deepEqual(
      out.map((e) => e.pid),
      [0, 0],
    );
  });
});

describe('StraceParser: other records and lines', () => {
  it('emitMeta: signal and exit records', () => {
    const out = parse(
      [
        '24952 20:53:07.959753 +++ exited with 7 +++',
        '24951 20:53:07.959793 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24952, si_uid=0, si_status=7, si_utime=0, si_stime=0} ---',
        '25144      0.000350 +++ killed by SIGTERM +++',
        '7 +++ killed by SIGSEGV (core dumped) +++',
      ],
      { emitMeta: true },
    );
    assert.deepEqual(out, [
      { type: 'exit', pid: 24952, text: 'exited with 7', timestamp: '2026-11-27T20:53:07.959753Z', status: 7 },
      {
        type: 'signal',
        pid: 24951,
        signal: 'SIGCHLD',
        info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24952, si_uid=0, si_status=7, si_utime=0, si_stime=0}',
        timestamp: '2026-11-27T20:53:07.959793Z',
      },
      { type: 'exit', pid: 25144, text: 'killed by SIGTERM', timestamp: '2026-11-27T00:00:00.000350Z', signal: 'SIGTERM' },
      { type: 'exit', pid: 7, text: 'killed by SIGSEGV (core dumped)', timestamp: '2026-11-27T00:00:00.000000Z', signal: 'SIGSEGV', core_dumped: true },
    ]);
    assert.deepEqual(parse(['1 +++ exited with 0 +++', '1 --- SIGINT {si_signo=SIGINT} ---']), [], 'not emitted by default');
  });

  it('invalid lines are reported with their line numbers; blank lines and strace messages are not', () => {
    const reported: Array<[number, string]> = [];
    const out = parse(['brk(NULL) = 0x1', '', 'not strace', 'strace: Process 1 attached', 'read(3, "x) = 1', 'brk(NULL) = 0x2'], {
      pid: 1,
      onInvalidLine: (n, why) => void reported.push([n, why]),
    });
    assert.equal(out.length, 2);
    assert.deepEqual(
      reported.map(([n]) => n),
      [3, 5],
    );
  });

  it('the -c/-C summary table at the end is skipped silently', () => {
    const reported: number[] = [];
    const out = parse(
      [
        'brk(NULL) = 0x1',
        '% time     seconds  usecs/call     calls    errors syscall',
        '------ ----------- ----------- --------- --------- ----------------',
        ' 100.00    0.000010          10         1           brk',
        '------ ----------- ----------- --------- --------- ----------------',
        '100.00    0.000010          10         1           total',
      ],
      { pid: 1, onInvalidLine: (n) => void reported.push(n) },
    );
    assert.equal(out.length, 1);
    assert.deepEqual(reported, []);
  });

  it('-y return decorations go to ret_path', () => {
    const [e] = parse(['openat(AT_FDCWD</tmp>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache> <0.000008>'], { pid: 1 });
    assert.equal(e?.ret, '3');
    assert.equal(e?.ret_path, '/etc/ld.so.cache');
  });

  it('an onInvalidLine that throws stops the parse (for --strict)', () => {
    const parser = new StraceParser(
      {
        onInvalidLine: (n) => {
          throw new Error(`line ${n}`);
        },
      },
      () => undefined,
    );
    parser.push('brk(NULL) = 0x1');
    assert.throws(() => parser.push('junk'), /line 2/);
  });
});
