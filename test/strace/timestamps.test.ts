import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newScannedLine, scanStraceLine } from '../../src/strace/line.js';
import { TraceClock, parseDate, parseInstant } from '../../src/strace/timestamps.js';

/** The ISO times a clock gives for these lines, in order. */
function times(clock: TraceClock, lines: string[]): string[] {
  const s = newScannedLine();
  return lines.map((line) => {
    scanStraceLine(line, s);
    return clock.read(line, s.stampKind, s.stampStart, s.stampEnd);
  });
}

describe('TraceClock', () => {
  it('-tt: the date option plus the time of day, six digits', () => {
    const clock = new TraceClock({ date: '2026-11-27' });
    assert.deepEqual(times(clock, ['24951 20:53:07.739371 brk(NULL) = 0x1']), ['2026-11-27T20:53:07.739371Z']);
  });

  it('-t: whole seconds get .000000', () => {
    const clock = new TraceClock({ date: '2026-11-27' });
    assert.deepEqual(times(clock, ['20:53:09 brk(NULL) = 0x1']), ['2026-11-27T20:53:09.000000Z']);
  });

  it('-t/-tt across midnight moves to the next day (also across a month end)', () => {
    const clock = new TraceClock({ date: '2026-11-30' });
    assert.deepEqual(times(clock, ['23:59:59.999999 a() = 0', '00:00:00.000001 b() = 0', '00:00:01 c() = 0']), [
      '2026-11-30T23:59:59.999999Z',
      '2026-12-01T00:00:00.000001Z',
      '2026-12-01T00:00:01.000000Z',
    ]);
  });

  it('-ttt: exact epoch time, the date option does not matter', () => {
    const clock = new TraceClock({ date: '1999-01-01' });
    assert.deepEqual(times(clock, ['25049 1795812788.302184 brk(NULL) = 0x1', '25049 1795812789.000001 brk(NULL) = 0x1']), [
      '2026-11-27T20:53:08.302184Z',
      '2026-11-27T20:53:09.000001Z',
    ]);
  });

  it('nanosecond precision stamps are truncated to microseconds', () => {
    const clock = new TraceClock({ date: '2026-11-27' });
    assert.deepEqual(times(clock, ['1795812788.302184999 a() = 0', '20:53:07.739371999 b() = 0', '20:53:07.5 c() = 0']), [
      '2026-11-27T20:53:08.302184Z',
      '2026-11-27T20:53:07.739371Z',
      '2026-11-27T20:53:07.500000Z',
    ]);
  });

  it('-r: deltas add up from start in integer microseconds (no float drift)', () => {
    const clock = new TraceClock({ date: '2026-11-27', start: '2026-11-27T20:53:07.000001Z' });
    const lines = ['     0.000000 execve() = 0'];
    for (let i = 0; i < 100_000; i++) lines.push('     0.000003 brk(NULL) = 0x1');
    lines.push('     1.999999 brk(NULL) = 0x1');
    const out = times(clock, lines);
    assert.equal(out[0], '2026-11-27T20:53:07.000001Z');
    assert.equal(out[1], '2026-11-27T20:53:07.000004Z');
    assert.equal(out[100_000], '2026-11-27T20:53:07.300001Z');
    assert.equal(out[100_001], '2026-11-27T20:53:09.300000Z');
  });

  it('-r: start defaults to the date at midnight', () => {
    const clock = new TraceClock({ date: '2026-11-27' });
    assert.deepEqual(times(clock, ['25144      0.000000 a() = 0', '25144      0.000249 b() = 0']), ['2026-11-27T00:00:00.000000Z', '2026-11-27T00:00:00.000249Z']);
  });

  it('no stamp: every line gets start (the date at midnight by default)', () => {
    assert.deepEqual(times(new TraceClock({ date: '2026-11-27' }), ['brk(NULL) = 0x1', 'brk(NULL) = 0x2']), [
      '2026-11-27T00:00:00.000000Z',
      '2026-11-27T00:00:00.000000Z',
    ]);
    assert.deepEqual(times(new TraceClock({ start: '2026-11-27T10:00:00+02:00' }), ['brk(NULL) = 0x1']), ['2026-11-27T08:00:00.000000Z']);
    assert.deepEqual(times(new TraceClock(), ['brk(NULL) = 0x1']), ['1970-01-01T00:00:00.000000Z']);
  });
});

describe('parseDate / parseInstant', () => {
  it('accepts real dates only', () => {
    assert.equal(parseDate('1970-01-02'), 1);
    for (const bad of ['2026-02-30', '2026-13-01', '26-11-27', '2026-11-27T00:00:00Z', '']) assert.throws(() => parseDate(bad), RangeError, bad);
  });

  it('keeps microseconds, honours offsets, treats no offset as UTC', () => {
    assert.equal(parseInstant('1970-01-01T00:00:01.000002Z'), 1_000_002);
    assert.equal(parseInstant('1970-01-01T00:00:01.123456789Z'), 1_123_456);
    assert.equal(parseInstant('1970-01-01T01:00:00+01:00'), 0);
    assert.equal(parseInstant('1970-01-01T00:00:00'), 0);
    assert.equal(parseInstant('1970-01-02'), 86_400_000_000);
    for (const bad of ['yesterday', '2026-11-27T25:00:00Z', '2026-11-27T10:61:00Z', '2026-02-30T00:00:00Z']) assert.throws(() => parseInstant(bad), RangeError, bad);
  });
});
