import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { SyscallEvent } from '../../src/event.js';
import { canonicalName } from '../../src/kb/aliases.js';
import { lookup } from '../../src/kb/index.js';
import { TraceSession } from '../../src/session.js';
import { fixturesDir, readJson } from '../helpers.js';
import { KEY, cleanup, renderTop, stripAnsi } from './support.js';

after(cleanup);

interface Expected {
  events: number;
  total_errors: number;
  syscalls: Record<string, { calls: number; errors: number }>;
}
const expected = readJson<Expected>(join(fixturesDir, 'ndjson/events.expected.json'));
/** Calls per canonical name (aliases summed), as the table must show them. */
const canonicalCalls = new Map<string, number>();
for (const [name, stats] of Object.entries(expected.syscalls)) {
  canonicalCalls.set(canonicalName(name), (canonicalCalls.get(canonicalName(name)) ?? 0) + stats.calls);
}

/** The table row of a syscall in a frame (the line starting with its name after the marker column). */
function rowOf(frame: string, name: string): string | undefined {
  return frame.split('\n').find((line) => new RegExp(`^[ !~]${name} `).test(line));
}
const tableNames = (frame: string): string[] => {
  const lines = frame.split('\n');
  const header = lines.findIndex((line) => line.includes('NAME') && line.includes('TOTAL'));
  const names: string[] = [];
  for (const line of lines.slice(header + 1)) {
    const match = /^[ !~]([a-z0-9_]+) +(I\/O|FS|NET|MEM|PROC|SIG|OTHER) /.exec(line);
    if (!match) break;
    names.push(match[1]!);
  }
  return names;
};
const hintLine = (frame: string): string => frame.split('\n').at(-2) ?? '';

describe('top live view: table', () => {
  test('shows one row per canonical syscall with the fixture counts, sorted by calls', async () => {
    const view = await renderTop({ rows: 60 });
    const frame = view.frame();
    const names = tableNames(frame);
    assert.equal(names.length, canonicalCalls.size, 'every syscall has a row');
    const counts = names.map((name) => canonicalCalls.get(name));
    assert.deepEqual(counts, [...counts].sort((a, b) => b! - a!), 'sorted by calls, descending');
    for (const name of ['write', 'fstat', 'openat', 'futex']) {
      const cells = rowOf(frame, name)?.trim().split(/\s+/);
      assert.equal(cells?.[2], String(canonicalCalls.get(name)), `${name} calls`);
    }
    assert.match(frame, /NAME +CAT +CALLS +ERRORS +ERR% +AVG +P95 +P99 +MAX +TOTAL/);
    assert.match(frame, new RegExp(`events ${expected.events} │ errors ${expected.total_errors} \\(15\\.0%\\)`));
    assert.match(frame, /INPUT ENDED/);
  });

  test('rows are red at ERR% ≥ 50 and yellow at AVG ≥ 5ms, marked ! and ~ without colour', async () => {
    const view = await renderTop({ rows: 60 });
    const raw = view.rawFrame().split('\n');
    const rawRow = (name: string): string => raw.find((line) => stripAnsi(line).match(new RegExp(`^[ !~]${name} `))) ?? '';
    assert.match(rawRow('ioctl'), /\u001b\[31m/, 'ioctl (100% ENOTTY) is red');
    assert.match(rawRow('fstat'), /\u001b\[31m/, 'fstat (70% ENOENT) is red');
    assert.match(rawRow('pselect6'), /\u001b\[33m/, 'pselect6 (avg 25.8ms) is yellow');
    assert.doesNotMatch(rawRow('mmap'), /\u001b\[3[13]m/, 'mmap is neither');
    assert.match(view.frame(), /^!ioctl /m);
    assert.match(view.frame(), /^~pselect6 /m);

    const plain = await renderTop({ rows: 60, colour: false });
    assert.doesNotMatch(plain.rawFrame(), /\u001b\[3[1-7]m/, 'no colour with colour off');
    assert.match(plain.frame(), /^!ioctl /m, 'the marker still tells');
  });

  test('the selected row shows its triage hint; j/k and arrows move the selection', async () => {
    const view = await renderTop();
    assert.match(hintLine(view.frame()), /write: Write bytes/, 'first row selected, KB description when there is no hint');
    await view.press('j');
    assert.match(hintLine(view.frame()), /fstat: .*ENOENT/, 'fstat: its benign-ENOENT hint');
    await view.press(KEY.down, KEY.down, 'k');
    assert.match(hintLine(view.frame()), /^ \S+ rt_sigaction: |^ rt_sigaction: /);
    await view.press('G');
    assert.match(hintLine(view.frame()), /^ .*: /);
    const last = tableNames(view.frame()).at(-1);
    assert.ok(last !== undefined && hintLine(view.frame()).includes(`${last}:`), 'G selects the last row and scrolls it into view');
    await view.press('g');
    assert.match(hintLine(view.frame()), /write:/);
    await view.press(KEY.down + KEY.down + KEY.down);
    assert.match(hintLine(view.frame()), /futex:/, 'three keys in one read move three rows');
  });

  test('s cycles the sort through every key and back', async () => {
    const view = await renderTop();
    await view.press('s');
    assert.match(view.frame(), /sort: errors/);
    assert.equal(tableNames(view.frame())[0], 'fstat', 'most errors first (131)');
    await view.press('s');
    assert.match(view.frame(), /sort: err%/);
    assert.ok(['ioctl', 'rt_sigreturn'].includes(tableNames(view.frame())[0]!), '100% rows first');
    await view.press('s');
    assert.match(view.frame(), /sort: avg/);
    assert.equal(tableNames(view.frame())[0], 'pselect6');
    for (const key of ['p95', 'p99', 'total']) {
      await view.press('s');
      assert.match(view.frame(), new RegExp(`sort: ${key}`));
    }
    await view.press('s');
    assert.match(view.frame(), /sort: count/);
    assert.equal(tableNames(view.frame())[0], 'write');
  });

  test('/ filters by name as it is typed, aliases match, Enter keeps it and Esc clears it', async () => {
    const view = await renderTop();
    await view.press('/', 's', 'i', 'g');
    assert.match(view.frame(), /filter: sig▏/);
    assert.deepEqual(tableNames(view.frame()).sort(), ['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn']);
    await view.press(KEY.backspace, KEY.backspace, KEY.backspace, 'newfstat');
    assert.deepEqual(tableNames(view.frame()), ['fstat'], 'an alias finds its canonical row');
    await view.press(KEY.enter);
    assert.match(view.frame(), /filter "newfstat"/);
    assert.deepEqual(tableNames(view.frame()), ['fstat']);
    await view.press(KEY.escape);
    assert.equal(tableNames(view.frame()).length, 30 - 1 - 6 - 1, 'Esc in the table clears the filter: a full page of rows');
    assert.doesNotMatch(view.frame(), /filter "|filter: /);

    await view.press('/', 'zzz');
    assert.match(view.frame(), /no syscall matches name "zzz"/);
    await view.press(KEY.escape);
    assert.doesNotMatch(view.frame(), /filter "|filter: /);
    assert.equal(tableNames(view.frame())[0], 'write', 'Esc while typing restores the previous filter');
  });
});

describe('top live view: overlays and views', () => {
  test('Enter opens the detail overlay: KB entry, live stats, errno breakdown, hints, failing calls; Esc closes it', async () => {
    const view = await renderTop({ rows: 80, columns: 120 });
    await view.press('/', 'openat', KEY.enter, KEY.enter);
    const frame = view.frame();
    const entry = lookup('openat');
    assert.match(frame, / openat +I\/O · File descriptor I\/O +aliases: open/);
    assert.ok(frame.includes(entry.description), 'KB description');
    assert.ok(frame.includes(entry.signature), 'KB signature');
    assert.match(frame, /LIVE STATS/);
    assert.match(frame, /calls 81 +errors 27 \(33\.3%\)/);
    assert.match(frame, /ERRORS \(errno breakdown\)/);
    assert.match(frame, /ENOENT ×27 \(33\.3%\)/);
    assert.match(frame, /TRIAGE/);
    assert.match(frame, /dynamic linker/);
    assert.match(frame, /RECENT FAILING CALLS \(last 20, newest last\)/);
    assert.match(frame, /openat\(AT_FDCWD, "\/usr\/lib\/locale\/C\.UTF-8\/LC_CTYPE", O_RDONLY\|O_CLOEXEC\) = -1 ENOENT/);
    assert.match(frame, /COMMON ERRORS/);
    await view.press(KEY.escape);
    assert.doesNotMatch(view.frame(), /LIVE STATS/);
    assert.match(view.frame(), /NAME +CAT +CALLS/);
    await view.press('d');
    assert.match(view.frame(), /LIVE STATS/, 'd opens it too');
    await view.press('d');
    assert.doesNotMatch(view.frame(), /LIVE STATS/, 'and closes it');
  });

  test('the detail overlay scrolls when it is taller than the screen', async () => {
    const view = await renderTop({ rows: 24, columns: 80 });
    await view.press('/', 'openat', KEY.enter, KEY.enter);
    assert.match(view.frame(), /lines 1-18 of \d+, ↑↓ scroll/);
    assert.doesNotMatch(view.frame(), /NOTES/);
    await view.press('G');
    assert.match(view.frame(), /NOTES/);
    assert.doesNotMatch(view.frame(), /LIVE STATS/);
    assert.equal(view.frame().split('\n').length, 23);
  });

  test('? opens the help overlay and Esc or ? closes it', async () => {
    const view = await renderTop({ rows: 40 });
    await view.press('?');
    assert.match(view.frame(), /stracectl top — keys/);
    assert.match(view.frame(), /cycle the sort/);
    assert.match(view.frame(), /ERR% ≥ 50/);
    await view.press(KEY.escape);
    assert.doesNotMatch(view.frame(), /stracectl top — keys/);
    await view.press('?', '?');
    assert.doesNotMatch(view.frame(), /stracectl top — keys/);
  });

  test('c shows calls per category; Enter narrows the table to that category', async () => {
    const view = await renderTop({ rows: 40 });
    await view.press('c');
    const frame = view.frame();
    assert.match(frame, /CAT +KIND +SYSCALLS +CALLS +ERRORS +ERR% +TOTAL +SHARE/);
    assert.match(frame, /I\/O +File descriptor I\/O +6 +520 +28 +5\.4%/);
    assert.match(frame, /FS +Filesystem metadata/);
    await view.press('j', KEY.enter);
    assert.match(view.frame(), /category FS/);
    const names = tableNames(view.frame());
    assert.deepEqual(names.sort(), ['access', 'fstat', 'lseek']);
    await view.press(KEY.escape);
    assert.doesNotMatch(view.frame(), /category FS/);
    await view.press('c', 'c');
    assert.match(view.frame(), /NAME +CAT +CALLS/, 'c toggles back');
  });

  test('l shows the recent event log, newest last, and scrolls back', async () => {
    const view = await renderTop({ rows: 30 });
    await view.press('l');
    const lines = view.frame().split('\n');
    assert.match(view.frame(), /TIME +PID SYSCALL\(ARGS\) = RET ERRNO +LATENCY/);
    const events = lines.filter((line) => /^ \d\d:\d\d:\d\d\.\d{3} +\d+ /.test(line));
    assert.equal(events.length, 30 - 1 - 6 - 1);
    assert.match(events.at(-1)!, /20:53:08\.451 +25049 exit_group\(0\) = \? 0ns/);
    await view.press('k');
    const scrolled = view.frame().split('\n').filter((line) => /^ \d\d:\d\d:\d\d\.\d{3} +\d+ /.test(line));
    assert.equal(scrolled.at(-1), events.at(-2), 'one line back in time');
    await view.press('l');
    assert.match(view.frame(), /NAME +CAT +CALLS/);
  });

  test('p pauses the display while events keep counting; resuming shows them', async () => {
    const session = new TraceSession();
    const event: SyscallEvent = { pid: 1, name: 'read', args: '0, "", 1', ret: '1', latency_ns: 1000, error: '', timestamp: '2026-11-27T20:00:00.000000Z' };
    session.add(event);
    const view = await renderTop({ session, ended: false });
    assert.match(rowOf(view.frame(), 'read') ?? '', /read +I\/O +1 /);
    await view.press('p');
    assert.match(view.frame(), /PAUSED/);
    session.add(event);
    session.add(event);
    await view.tick();
    assert.match(rowOf(view.frame(), 'read') ?? '', /read +I\/O +1 /, 'frozen while paused');
    await view.press('p');
    assert.doesNotMatch(view.frame(), /PAUSED/);
    assert.match(rowOf(view.frame(), 'read') ?? '', /read +I\/O +3 /, 'caught up on resume');
  });

  test('the input-ended banner appears with the tick after the input ends; lost events show', async () => {
    const session = new TraceSession();
    session.add({ pid: 1, name: 'close', args: '3', ret: '0', latency_ns: 1, error: '', timestamp: '2026-11-27T20:00:00.000000Z' });
    const view = await renderTop({ session, ended: false });
    assert.doesNotMatch(view.frame(), /INPUT ENDED/);
    session.add({ type: 'lost', count: 42, timestamp: '2026-11-27T20:00:01.000000Z' });
    session.ended = true;
    await view.tick();
    assert.match(view.frame(), /INPUT ENDED/);
    assert.match(view.frame(), /lost 42/);
    assert.match(view.rawFrame(), /\u001b\[31m\u001b\[1m42|\u001b\[1m\u001b\[31m42/, 'lost count in bold red');
    const held = await renderTop({ heldMessages: 3 });
    assert.match(held.frame(), /lost 0 │ 3 messages on exit │ pids/, 'diagnostics held back while the view runs are announced');
  });

  test('q and Ctrl-C quit', async () => {
    const view = await renderTop();
    await view.press('q');
    assert.equal(view.quits(), 1);
    const other = await renderTop();
    await other.press('/', 'q');
    assert.equal(other.quits(), 0, 'q is text while typing a filter');
    await other.press(KEY.ctrlC);
    assert.equal(other.quits(), 1);
  });
});

describe('top live view: untrusted text and terminal sizes', () => {
  const hostile: SyscallEvent = {
    pid: 7,
    name: 'openat',
    args: 'AT_FDCWD, "/tmp/\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\nnext\u202eevil", O_RDONLY',
    ret: '-1',
    latency_ns: 5000,
    error: 'ENOENT',
    timestamp: '2026-11-27T21:00:00.000000Z',
  };
  const weirdName: SyscallEvent = { ...hostile, name: 'x\u001b[5mblink', args: '', error: '' };

  test('control characters in args and names are shown escaped in the table, log and detail', async () => {
    const session = new TraceSession();
    session.add(hostile);
    session.add(weirdName);
    const view = await renderTop({ session, rows: 40, columns: 160 });
    const rawEscapes = (frame: string): string[] => [...stripAnsi(frame).matchAll(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/g)].map((m) => m[0]);
    assert.deepEqual(rawEscapes(view.rawFrame()), [], 'table: no raw control character');
    assert.match(view.frame(), /x\\x1b\[5mblink/);
    await view.press('l');
    assert.deepEqual(rawEscapes(view.rawFrame()), [], 'log: no raw control character');
    assert.ok(view.frame().includes('"/tmp/\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\nnext\\u202eevil"'), view.frame());
    await view.press('l', '/', 'openat', KEY.enter, KEY.enter);
    assert.match(view.frame(), /RECENT FAILING CALLS/);
    assert.deepEqual(rawEscapes(view.rawFrame()), [], 'detail: no raw control character');
    assert.ok(view.frame().includes('\\x1b]0;pwned\\x07'));
  });

  test('at 80×24 every row fits: ten columns, 23 lines, the key help complete', async () => {
    const view = await renderTop({ columns: 80, rows: 24 });
    const lines = view.frame().split('\n');
    assert.equal(lines.length, 23);
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: ${line}`);
    assert.match(view.frame(), /NAME +CAT +CALLS +ERRORS +ERR% +AVG +P95 +P99 +MAX +TOTAL/);
    assert.match(lines.at(-1)!, /q quit$/);
    assert.equal(tableNames(view.frame()).length, 23 - 6 - 1);
  });

  test('a terminal below 60×12 gets a message instead of a broken layout', async () => {
    const view = await renderTop({ columns: 50, rows: 10 });
    assert.match(view.frame(), /terminal too small: 50×10, need 60×12/);
    await view.press('q');
    assert.equal(view.quits(), 1);
  });
});
