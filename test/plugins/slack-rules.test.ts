/**
 * The Slack plugin's logic without Slack: rule parsing, sliding windows,
 * cooldown, exact percentile thresholds, and the message text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, of, take, toArray } from 'rxjs';
import type { SyscallEvent } from '../../src/event.js';
import { AlertEngine, alertRules, type Alert } from '../../plugins/slack/src/alerts.js';
import { escapeMrkdwn, plainText, slackText } from '../../plugins/slack/src/message.js';
import { parseRule } from '../../plugins/slack/src/rules.js';
import { SyscallWindow, latencyBucket } from '../../plugins/slack/src/window.js';

const BASE_MS = Date.parse('2026-11-27T20:00:00Z');

/** An event `atS` seconds after BASE (µs timestamp, as parse emits). */
function ev(name: string, options: { error?: string; latencyNs?: number; atS?: number; args?: string } = {}): SyscallEvent {
  return {
    pid: 42,
    name,
    args: options.args ?? '',
    ret: options.error ? '-1' : '0',
    latency_ns: options.latencyNs ?? 1000,
    error: options.error ?? '',
    timestamp: new Date(BASE_MS + (options.atS ?? 0) * 1000).toISOString().replace('Z', '000Z'),
  };
}

function run(rules: string[], events: SyscallEvent[], options: { windowMs?: number; cooldownMs?: number; minCalls?: number } = {}) {
  const engine = new AlertEngine({
    rules: rules.map(parseRule),
    windowMs: options.windowMs ?? 10_000,
    cooldownMs: options.cooldownMs ?? 300_000,
    minCalls: options.minCalls,
  });
  // Which event (index) raised which alert.
  const fired: Array<{ at: number; alert: Alert }> = [];
  events.forEach((event, at) => engine.add(event).forEach((alert) => fired.push({ at, alert })));
  for (const alert of engine.finish()) fired.push({ at: events.length, alert });
  return fired;
}

describe('parseRule', () => {
  it('parses the documented forms', () => {
    assert.deepEqual(parseRule('error_pct>=50'), { text: 'error_pct>=50', scope: undefined, metric: 'error_pct', op: '>=', threshold: 50 });
    assert.deepEqual(parseRule(' p99 >= 100ms '), { text: 'p99>=100ms', scope: undefined, metric: 'p99', op: '>=', threshold: 100_000_000 });
    assert.deepEqual(parseRule('count>=1000'), { text: 'count>=1000', scope: undefined, metric: 'count', op: '>=', threshold: 1000 });
    assert.deepEqual(parseRule('errno==EACCES'), { text: 'errno==EACCES', scope: undefined, metric: 'errno', op: '==', threshold: 'EACCES' });
    assert.deepEqual(parseRule('openat:error_pct>=50%'), { text: 'openat:error_pct>=50%', scope: 'openat', metric: 'error_pct', op: '>=', threshold: 50 });
  });

  it('resolves an alias scope to its canonical name', () => {
    assert.equal(parseRule('newfstatat:errors>0').scope, 'fstat');
    assert.equal(parseRule('open:p95>1.5ms').threshold, 1_500_000);
  });

  it('says what is wrong with a bad rule', () => {
    assert.throws(() => parseRule('error_pct'), /expected \[SYSCALL:\]METRIC OP VALUE/);
    assert.throws(() => parseRule('latency>=5ms'), /unknown metric "latency"/);
    assert.throws(() => parseRule('errno>=EACCES'), /errno takes == or !=/);
    assert.throws(() => parseRule('errno==eacces'), /not an errno name/);
    assert.throws(() => parseRule('p99>=100'), /invalid duration/);
    assert.throws(() => parseRule('error_pct>=150'), /percentage/);
    assert.throws(() => parseRule('count>=5%'), /not a number/);
  });
});

describe('SyscallWindow', () => {
  it('keeps latencies within 0.2% and exact below 1024 ns', () => {
    assert.equal(latencyBucket(1023), 1023);
    for (const ns of [1024, 5_000, 99_999_999, 100_000_000, 3e9]) {
      const bucket = latencyBucket(ns);
      assert.ok(bucket <= ns && (ns - bucket) / ns < 0.002, `${ns} → ${bucket}`);
    }
  });

  it('answers "p99 >= T" exactly for a known threshold and forgets expired slots', () => {
    const window = new SyscallWindow('read', [100_000_000]);
    for (let i = 0; i < 99; i++) window.add(0, 1_000_000, '');
    window.add(0, 100_000_000, '');
    assert.equal(window.percentileAtLeast(99, 100_000_000), false); // rank 99 of 100 is 1 ms
    window.add(1, 100_000_000, 'EIO');
    assert.equal(window.percentileAtLeast(99, 100_000_000), true); // rank 100 of 101 is 100 ms
    assert.equal(window.count, 101);
    window.expire(1);
    assert.deepEqual([window.count, window.errors, window.errorPct, window.errorBreakdown()], [1, 1, 100, { EIO: 1 }]);
    assert.equal(window.maxNs, 100_000_000);
  });
});

describe('AlertEngine', () => {
  it('fires once when error_pct reaches the threshold, then stays silent (cooldown)', () => {
    const events = [ev('openat'), ev('openat'), ev('openat'), ...Array.from({ length: 6 }, (_, i) => ev('openat', { error: 'EACCES', atS: i * 0.1 }))];
    const fired = run(['error_pct>=50'], events);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.at, 5); // 3 ok + 3 failed = 50%
    assert.equal(fired[0]!.alert.syscall, 'openat');
    assert.equal(fired[0]!.alert.value, 50);
    assert.deepEqual(fired[0]!.alert.stats.error_breakdown, { EACCES: 3 });
  });

  it('checks an unscoped rule per syscall and a scoped one only for its syscall', () => {
    const events = [ev('read'), ev('read'), ev('write'), ev('write'), ev('read'), ev('write')];
    const fired = run(['count>=3', 'read:count>=2'], events);
    assert.deepEqual(
      fired.map(({ at, alert }) => `${at} ${alert.rule.text} ${alert.syscall} ${alert.value}`),
      ['1 read:count>=2 read 2', '4 count>=3 read 3', '5 count>=3 write 3'],
    );
  });

  it('normalises names before matching (newfstatat is fstat)', () => {
    const fired = run(['fstat:errno==ENOENT'], [ev('newfstatat', { error: 'ENOENT' })]);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.alert.syscall, 'fstat');
  });

  it('measures over a sliding window of event time', () => {
    const events = [
      ...Array.from({ length: 5 }, () => ev('connect', { error: 'ECONNREFUSED', atS: 0 })),
      ...Array.from({ length: 5 }, () => ev('read', { atS: 1 })),
      ...Array.from({ length: 5 }, () => ev('read', { atS: 15 })), // the first 5 reads left the 10 s window
      ...Array.from({ length: 5 }, () => ev('read', { atS: 17 })),
    ];
    const fired = run(['read:count>=10', 'connect:count>=6'], events);
    assert.deepEqual(fired.map(({ at, alert }) => `${at} ${alert.syscall} ${alert.value}`), ['19 read 10']);
  });

  it('alerts again only after the cooldown, in event time', () => {
    const events = [0, 60, 299, 301, 320, 700].map((atS) => ev('openat', { error: 'EACCES', atS }));
    const fired = run(['errno==EACCES'], events, { cooldownMs: 300_000 });
    assert.deepEqual(fired.map(({ at }) => at), [0, 3, 5]);
    assert.equal(fired[1]!.alert.timestamp, events[3]!.timestamp);
  });

  it('compares percentiles exactly at the threshold', () => {
    const events = [...Array.from({ length: 99 }, () => ev('read', { latencyNs: 1_000_000 })), ev('read', { latencyNs: 100_000_000 })];
    assert.equal(run(['p99>=100ms'], events).length, 0);
    const fired = run(['p99>=100ms'], [...events, ev('read', { latencyNs: 100_000_000 })]);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.at, 100);
    assert.equal(fired[0]!.alert.value, 100_000_000);
    assert.equal(run(['p99>100ms'], [...events, ev('read', { latencyNs: 100_000_000 })]).length, 0);
  });

  it('honours --min-calls for rates and latencies, not for counts', () => {
    const events = [ev('openat', { error: 'ENOENT' }), ev('openat', { error: 'ENOENT' }), ev('openat')];
    assert.deepEqual(run(['error_pct>=50'], events, { minCalls: 3 }).map(({ at, alert }) => `${at} ${alert.value}`), ['2 66.67']);
    assert.deepEqual(run(['errors>=1'], events, { minCalls: 3 }).map(({ at }) => at), [0]);
  });

  it('ignores events older than the window', () => {
    const fired = run(['count>=2'], [ev('read', { atS: 30 }), ev('read', { atS: 5 })]);
    assert.equal(fired.length, 0);
  });

  it('attaches the triage hint', () => {
    const events = Array.from({ length: 4 }, () => ev('ioctl', { error: 'ENOTTY', args: '1, TCGETS, 0x7ffd' }));
    const [first] = run(['ioctl:error_pct>=50'], events);
    assert.ok(first!.alert.hints.some((hint) => hint.id === 'ioctl-enotty'), JSON.stringify(first!.alert.hints));
  });
});

describe('alertRules operator', () => {
  const rules = [parseRule('errno==EACCES')];
  it('emits alerts and completes; nothing for empty input', async () => {
    const alerts = await lastValueFrom(of(ev('a', { error: 'EACCES' }), ev('b', { error: 'EACCES' })).pipe(alertRules({ rules, windowMs: 1000, cooldownMs: 1000 }), toArray()));
    assert.deepEqual(alerts.map((alert) => alert.syscall), ['a', 'b']);
    assert.deepEqual(await lastValueFrom(of<SyscallEvent>().pipe(alertRules({ rules, windowMs: 1000, cooldownMs: 1000 }), toArray())), []);
  });

  it('stops on early unsubscribe (take)', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ev(`s${i}`, { error: 'EACCES' }));
    const alerts = await lastValueFrom(of(...many).pipe(alertRules({ rules, windowMs: 1000, cooldownMs: 1000 }), take(2), toArray()));
    assert.equal(alerts.length, 2);
  });
});

describe('alert messages', () => {
  const [fired] = run(['openat:error_pct>=50'], [ev('openat', { error: 'ENOENT', args: '"/lib/x86_64-linux-gnu/libc.so.6"' }), ev('openat')]);
  const alert = fired!.alert;

  it('names the syscall, the measured value against the threshold, the window and the hint', () => {
    const text = plainText(alert, { host: 'web-1' });
    assert.match(text, /^openat: error_pct 100% >= 50% in the last 10s \(rule openat:error_pct>=50\) on web-1\n/);
    assert.match(text, /1 of 1 call failed \(ENOENT 1\); avg 1\.00µs/);
    assert.match(text, /hint: 1 ENOENT error: usually the dynamic linker/);
  });

  it('escapes Slack control characters in everything that came from the input', () => {
    assert.equal(escapeMrkdwn('<!channel> & <http://x|y>'), '&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    const [evil] = run(['errno==EPERM'], [ev('<!here>', { error: 'EPERM' })]);
    const text = slackText(evil!.alert);
    assert.ok(!text.includes('<!here>'));
    assert.match(text, /^:rotating_light: \*&lt;!here&gt;\*: 1 call failed with EPERM/);
    assert.match(slackText(alert), /error_pct 100% &gt;= 50%/);
  });
});
