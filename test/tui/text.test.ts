import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatsRecord } from '../../src/event.js';
import { categoryBarLines } from '../../src/tui/header.js';
import { categoryRows, matchesFilter, visibleRows } from '../../src/tui/model.js';
import { columnWidths, scrollOffset } from '../../src/tui/table.js';
import { clockTime, formatCount, formatElapsed, formatRate, terminalSafe, truncate } from '../../src/tui/text.js';

const record = (name: string, category: StatsRecord['category'], count: number, errors = 0): StatsRecord => ({
  name, category, count, errors, error_pct: count === 0 ? 0 : (errors / count) * 100,
  total_ns: count * 1000, avg_ns: 1000, min_ns: 1000, max_ns: 1000, p50_ns: 1000, p95_ns: 1000, p99_ns: 1000, error_breakdown: {},
});

describe('terminalSafe', () => {
  test('escapes every control character, newline, tab and bidi override; leaves text and UTF-8 alone', () => {
    assert.equal(terminalSafe('\u001b]0;title\u0007'), '\\x1b]0;title\\x07');
    assert.equal(terminalSafe('a\nb\tc\rd'), 'a\\nb\\tc\\x0dd');
    assert.equal(terminalSafe('\u009b2J'), '\\x9b2J', 'the 8-bit CSI too');
    assert.equal(terminalSafe('abc\u202edef\u2066'), 'abc\\u202edef\\u2066');
    assert.equal(terminalSafe('/tmp/café ✓'), '/tmp/café ✓');
  });

  test('no control character survives, whatever the input', () => {
    let all = '';
    for (let code = 0; code < 0x100; code++) all += String.fromCharCode(code);
    assert.doesNotMatch(terminalSafe(all + '\u2028\u2029\u200e\ufeff'), /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\ufeff]/);
  });
});

describe('formats', () => {
  test('counts and rates stay short', () => {
    assert.deepEqual([0, 999_999, 1_234_567, 45_600_000, 1.2e9].map(formatCount), ['0', '999999', '1.23M', '45.6M', '1.20G']);
    assert.deepEqual([0, 812.4, 1234, 12_345, 1_200_000].map(formatRate), ['0', '812', '1.23k', '12.3k', '1.20M']);
  });
  test('elapsed time, clock time and truncation', () => {
    assert.deepEqual([0, 61_000, 3_726_000].map(formatElapsed), ['0:00', '1:01', '1:02:06']);
    assert.equal(clockTime('2026-11-27T20:53:07.739371Z'), '20:53:07.739');
    assert.equal(clockTime('garbage\u001b'), 'garbage\\x1b');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('ab😀cd', 3), 'ab…', 'never splits a surrogate pair');
    assert.equal(truncate('abc', 3), 'abc');
  });
});

describe('layout', () => {
  test('ten columns fit in 80 columns; wider terminals widen the name first', () => {
    const at80 = columnWidths(80);
    assert.deepEqual(at80, { name: 17, category: 5, number: 6 });
    assert.equal(1 + at80.name + at80.category + 8 * at80.number + 9, 80);
    const at100 = columnWidths(100);
    assert.ok(at100.name >= 20 && 1 + at100.name + at100.category + 8 * at100.number + 9 <= 100);
    assert.deepEqual(columnWidths(200), { name: 40, category: 5, number: 9 });
  });

  test('the table window follows the selection, moving as little as possible', () => {
    assert.equal(scrollOffset(0, 5, 50, 10), 0);
    assert.equal(scrollOffset(0, 12, 50, 10), 3);
    assert.equal(scrollOffset(3, 8, 50, 10), 3, 'still visible: no move');
    assert.equal(scrollOffset(3, 1, 50, 10), 1);
    assert.equal(scrollOffset(40, 41, 42, 10), 32, 'never past the end (rows shrank)');
    assert.equal(scrollOffset(7, 3, 5, 10), 0, 'everything fits');
  });

  test('the category bar always spans its width and tells categories apart without colour', () => {
    const rows = categoryRows([record('read', 'I/O', 1), record('fstat', 'FS', 1), record('futex', 'OTHER', 1)]);
    const [bar, legend] = categoryBarLines(rows, 40, false);
    const cells = bar!.slice(1).map((segment) => segment.text).join('');
    assert.equal(cells.length, 38);
    assert.deepEqual([...new Set(cells)], ['I', 'F', 'O']);
    assert.match(legend!.map((segment) => segment.text).join(''), /I\/O 33% +FFS 33%|I\/O 33%/);
  });
});

describe('rows', () => {
  const stats = [record('read', 'I/O', 5, 5), record('fstat', 'FS', 9), record('openat', 'I/O', 2, 1)];
  test('filter matches names and aliases, case-insensitively', () => {
    assert.ok(matchesFilter('fstat', 'FST'));
    assert.ok(matchesFilter('fstat', 'newfstatat'), 'alias');
    assert.ok(matchesFilter('openat', 'open'));
    assert.ok(!matchesFilter('read', 'write'));
    assert.ok(matchesFilter('read', '  '));
  });
  test('visible rows are filtered by name and category, then sorted', () => {
    assert.deepEqual(visibleRows(stats, { sort: 'count', filter: '' }).map((r) => r.name), ['fstat', 'read', 'openat']);
    assert.deepEqual(visibleRows(stats, { sort: 'errors', filter: '' }).map((r) => r.name), ['read', 'openat', 'fstat']);
    assert.deepEqual(visibleRows(stats, { sort: 'count', filter: '', category: 'I/O' }).map((r) => r.name), ['read', 'openat']);
    assert.deepEqual(visibleRows(stats, { sort: 'count', filter: 'at', category: 'I/O' }).map((r) => r.name), ['openat']);
  });
  test('category rows add up calls, errors and shares', () => {
    const rows = categoryRows(stats);
    assert.deepEqual(rows.map((r) => [r.category, r.count, r.errors, r.syscalls]), [['I/O', 7, 6, 2], ['FS', 9, 0, 1]]);
    assert.equal(Math.round(rows.reduce((sum, r) => sum + r.share, 0)), 100);
  });
});
