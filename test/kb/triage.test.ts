import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FUTEX_CONTENTION_CALLS, HINT_IDS, isShortWrite, rowSeverity, splitArgs, triage, type Hint, type HintId, type TriageInput } from '../../src/kb/triage.js';
import { fixturesDir as fixtures } from '../helpers.js';

interface TruthRow { calls: number; errors: number; error_breakdown?: Record<string, number>; seconds: number }

/**
 * A syscall's stats as `aggregate` would give them, from a recorded trace's
 * truth file, with the args of its failing calls from the trace text as samples.
 */
function fromTrace(trace: string, name: string): TriageInput {
  const truth = JSON.parse(readFileSync(path.join(fixtures, 'strace', `${trace}.truth.json`), 'utf8')) as { syscalls: Record<string, TruthRow> };
  const row = truth.syscalls[name];
  assert.ok(row, `${trace} has ${name}`);
  const text = readFileSync(path.join(fixtures, 'strace', `${trace}.txt`), 'utf8');
  const sample_args = [...text.matchAll(new RegExp(`\\b${name}\\((.*)\\) += (?:-1|\\?) E`, 'g'))].map((m) => m[1] ?? '').slice(0, 10);
  return {
    name,
    count: row.calls,
    errors: row.errors,
    error_pct: (row.errors / row.calls) * 100,
    error_breakdown: row.error_breakdown ?? {},
    avg_ns: Math.round((row.seconds * 1e9) / row.calls),
    sample_args,
  };
}

const stats = (name: string, count: number, breakdown: Record<string, number>, extra: Partial<TriageInput> = {}): TriageInput => {
  const errors = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return { name, count, errors, error_pct: (errors / count) * 100, error_breakdown: breakdown, avg_ns: 20_000, ...extra };
};

const ids = (hints: Hint[]): HintId[] => hints.map((h) => h.id);
const hint = (hints: Hint[], id: HintId): Hint => {
  const found = hints.find((h) => h.id === id);
  assert.ok(found, `expected hint ${id}, got ${JSON.stringify(ids(hints))}`);
  return found;
};
const fired = new Set<HintId>();
const run = (input: TriageInput): Hint[] => {
  const hints = triage(input);
  for (const h of hints) fired.add(h.id);
  return hints;
};

describe('rowSeverity (seed thresholds)', () => {
  it('red at error_pct >= 50, yellow at avg >= 5 ms, red wins', () => {
    assert.equal(rowSeverity({ error_pct: 50, avg_ns: 0 }), 'red');
    assert.equal(rowSeverity({ error_pct: 49.99, avg_ns: 0 }), null);
    assert.equal(rowSeverity({ error_pct: 0, avg_ns: 5_000_000 }), 'yellow');
    assert.equal(rowSeverity({ error_pct: 0, avg_ns: 4_999_999 }), null);
    assert.equal(rowSeverity({ error_pct: 100, avg_ns: 9_000_000 }), 'red');
  });
});

describe('triage on recorded traces', () => {
  it('stays quiet on every healthy syscall of every trace', () => {
    let checked = 0;
    for (const file of readdirSync(path.join(fixtures, 'strace')).filter((f) => f.endsWith('.truth.json'))) {
      const trace = file.replace('.truth.json', '');
      const truth = JSON.parse(readFileSync(path.join(fixtures, 'strace', file), 'utf8')) as { syscalls: Record<string, TruthRow> };
      for (const [name, row] of Object.entries(truth.syscalls)) {
        if (row.errors > 0 || row.calls === 0 || (row.seconds * 1e9) / row.calls >= 5e6) continue;
        assert.deepEqual(triage(fromTrace(trace, name)), [], `${trace} ${name}`);
        checked++;
      }
    }
    assert.ok(checked > 150, `${checked} healthy rows`);
  });

  it('ENOENT from library probing on openat: info, and the error rate is explained', () => {
    const input = fromTrace('perl_socketpair_fork', 'newfstatat'); // 131 of 166 fail with ENOENT
    const hints = run(input);
    assert.equal(rowSeverity(input), 'red');
    assert.equal(hint(hints, 'enoent-probing').severity, 'info');
    assert.equal(hint(hints, 'error-rate').severity, 'info');
    assert.match(hint(hints, 'error-rate').message, /known-benign/);
  });

  it('ENOENT probing mixed with EACCES stays critical: the EACCES are not explained', () => {
    const hints = run(fromTrace('python_denied_missing', 'openat')); // ENOENT 223, EACCES 3
    assert.deepEqual(ids(hints), ['error-rate', 'enoent-probing']);
    assert.equal(hint(hints, 'error-rate').severity, 'critical');
    assert.match(hint(hints, 'error-rate').message, /ENOENT ×223, EACCES ×3/);
  });

  it('names the dynamic linker when the samples are library paths', () => {
    const hints = run(fromTrace('cat_os_release', 'openat'));
    assert.match(hint(hints, 'enoent-probing').message, /dynamic linker probing library paths for shared libraries/);
    assert.equal(rowSeverity(fromTrace('cat_os_release', 'openat')), null); // 17 of 35: under 50%
  });

  it('ENOENT on access (config probing) is info', () => {
    const hints = run(fromTrace('sh_date_id_uname', 'access'));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'info'], ['enoent-probing', 'info']]);
  });

  it('ioctl ENOTTY: info', () => {
    const hints = run(fromTrace('python_sqlite', 'ioctl')); // 35 of 36 ENOTTY
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'info'], ['ioctl-enotty', 'info']]);
  });

  it("connect ENOENT on glibc's nscd socket and EINPROGRESS of a non-blocking connect: info", () => {
    const hints = run(fromTrace('node_net_dns', 'connect')); // EINPROGRESS 2, ENOENT 2 (nscd)
    assert.equal(hint(hints, 'connect-inprogress').severity, 'info');
    assert.equal(hint(hints, 'nscd-probe').severity, 'info');
    assert.equal(hint(hints, 'error-rate').severity, 'info');
    assert.ok(!ids(hints).includes('happy-eyeballs'));
  });

  it('statfs errors on /sys and libselinux probes: info', () => {
    const input = fromTrace('find_doc_copyright', 'statfs'); // "/sys/fs/selinux", "/selinux"
    assert.equal(input.sample_args?.length, 2);
    const hints = run(input);
    assert.equal(hint(hints, 'statfs-special-fs').severity, 'info');
    assert.equal(hint(hints, 'error-rate').severity, 'info');
  });

  it('futex EAGAIN (lock word changed): info, no contention at 83 calls', () => {
    const hints = run(fromTrace('node_net_dns', 'futex'));
    assert.deepEqual(ids(hints), ['futex-benign-errors']);
    assert.ok(!ids(run(fromTrace('sort_parallel', 'futex'))).includes('futex-contention'));
  });

  it('calls interrupted by signals (ERESTART*): explained; a wait that is slow by design is info', () => {
    const input = fromTrace('sh_sleep_wait', 'rt_sigsuspend'); // 3 of 3 ERESTARTNOHAND, avg 39.7 ms
    const hints = run(input);
    assert.equal(rowSeverity(input), 'red');
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'info'], ['slow', 'info'], ['interrupted-by-signal', 'info']]);
  });

  it('wait4 ECHILD at the end of a reap loop: info', () => {
    const hints = run(fromTrace('sh_date_id_uname', 'wait4'));
    assert.equal(hint(hints, 'wait-echild').severity, 'info');
    assert.equal(hint(hints, 'error-rate').severity, 'info');
  });
});

describe('triage patterns on realistic stats', () => {
  it('connect ~50% ECONNREFUSED with IPv4 and IPv6 attempts: Happy Eyeballs, info', () => {
    const samples = ['3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28', '4, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("192.0.2.1")}, 16'];
    const hints = run(stats('connect', 40, { ECONNREFUSED: 20 }, { sample_args: samples }));
    assert.match(hint(hints, 'happy-eyeballs').message, /both IPv4 and IPv6 were tried/);
    assert.equal(hint(hints, 'error-rate').severity, 'info');
  });

  it('connect refused every time is no Happy Eyeballs: critical', () => {
    const hints = run(stats('connect', 40, { ECONNREFUSED: 40 })); // counter.c: a closed port
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'critical']]);
  });

  it('EAGAIN on non-blocking reads: info, also for an alias name', () => {
    assert.equal(hint(run(stats('recvfrom', 400, { EAGAIN: 120 })), 'eagain-nonblocking').severity, 'info');
    assert.equal(hint(run(stats('recvmsg', 10, { EWOULDBLOCK: 6 })), 'eagain-nonblocking').severity, 'info');
    assert.deepEqual(ids(triage(stats('read', 400, {}))), []);
  });

  it('madvise errors: info', () => {
    const hints = run(stats('madvise', 50, { EINVAL: 30 }));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'info'], ['madvise-errors', 'info']]);
  });

  it('statfs errors on a real path are not explained away', () => {
    const hints = run(stats('statfs', 4, { EACCES: 4 }, { sample_args: ['"/home/alice/data", 0x7ffd0a1b2c30'] }));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'critical']]);
    const procs = run(stats('fstatfs', 4, { ENOSYS: 4 }, { sample_args: ['3</proc/self/mountinfo>, 0x7ffd0a1b2c30'] }));
    assert.equal(hint(procs, 'statfs-special-fs').severity, 'info');
  });

  it('prctl EPERM (container): info', () => {
    const hints = run(stats('prctl', 12, { EPERM: 6 }));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'info'], ['prctl-eperm', 'info']]);
  });

  it('close EIO is critical even when rare', () => {
    const hints = run(stats('close', 1000, { EIO: 1 }));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['close-eio', 'critical']]);
    assert.match(hints[0]?.message ?? '', /data may be lost/);
  });

  it('futex contention above the documented threshold: warning', () => {
    const hints = run(stats('futex', FUTEX_CONTENTION_CALLS, {}));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['futex-contention', 'warning']]);
    assert.deepEqual(triage(stats('futex', FUTEX_CONTENTION_CALLS - 1, {})), []);
  });

  it('short writes: warning; none measured or zero: quiet', () => {
    assert.equal(hint(run(stats('write', 315, {}, { short_writes: 3 })), 'short-writes').severity, 'warning');
    assert.deepEqual(triage(stats('write', 315, {}, { short_writes: 0 })), []);
  });

  it('slow calls: warning, telling outliers from sustained slowness by P95', () => {
    const sustained = run(stats('fsync', 20, {}, { avg_ns: 12_000_000, p95_ns: 20_000_000 }));
    assert.deepEqual(sustained.map((h) => [h.id, h.severity]), [['slow', 'warning']]);
    assert.match(sustained[0]?.message ?? '', /sustained/);
    assert.match(triage(stats('read', 20, {}, { avg_ns: 6_000_000, p95_ns: 40_000 }))[0]?.message ?? '', /outliers/);
    assert.deepEqual(triage(stats('read', 20, {}, { avg_ns: 4_999_999 })), []);
  });

  it('an unexplained majority of errors is critical, most severe hint first', () => {
    const hints = run(stats('openat', 10, { EACCES: 6 }, { avg_ns: 7_000_000 }));
    assert.deepEqual(hints.map((h) => [h.id, h.severity]), [['error-rate', 'critical'], ['slow', 'warning']]);
  });

  it('every hint id is exercised by these tests', () => {
    assert.deepEqual([...fired].sort(), [...HINT_IDS].sort());
  });
});

describe('short writes', () => {
  it('recognises write, pwrite64 and sendto that moved fewer bytes than asked', () => {
    assert.equal(isShortWrite({ name: 'write', args: '1, "hello, world\\n", 13', ret: '5', error: '' }), true);
    assert.equal(isShortWrite({ name: 'write', args: '1, "hello, world\\n", 13', ret: '13', error: '' }), false);
    assert.equal(isShortWrite({ name: 'write', args: '4<pipe:[42280]>, "abc"..., 65536', ret: '4096', error: '' }), true);
    assert.equal(isShortWrite({ name: 'write', raw_name: 'pwrite64', args: '3, "data", 4096, 8192', ret: '100', error: '' }), true);
    assert.equal(isShortWrite({ name: 'sendto', args: '4<TCP:[127.0.0.1:52136->127.0.0.1:33421]>, "(200, 59705)", 12, 0, NULL, 0', ret: '10', error: '' }), true);
    assert.equal(isShortWrite({ name: 'sendto', raw_name: 'sendmsg', args: '3, {msg_iov=[{iov_base="x", iov_len=1}]}, 0', ret: '0', error: '' }), false);
    assert.equal(isShortWrite({ name: 'write', args: '1, "x", 1', ret: '-1', error: 'EAGAIN' }), false);
    assert.equal(isShortWrite({ name: 'read', args: '0, "x", 100', ret: '1', error: '' }), false);
  });

  it('finds none in the recorded events (every write there completed)', () => {
    const events = readFileSync(path.join(fixtures, 'ndjson/events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; args: string; ret: string; error: string });
    const writes = events.filter((e) => e.name === 'write' && e.error === '');
    assert.ok(writes.length > 100);
    assert.equal(writes.filter(isShortWrite).length, 0);
  });

  it('splits strace arguments at top-level commas only', () => {
    assert.deepEqual(splitArgs('3, "a, b\\"c", {x=1, y=[2, 3]}, 0'), ['3', '"a, b\\"c"', '{x=1, y=[2, 3]}', '0']);
  });
});
