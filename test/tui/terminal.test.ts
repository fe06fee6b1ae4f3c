import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { StderrHold, inPlaceOutput } from '../../src/tui/terminal.js';

/** A stand-in for a TTY write stream that records writes. */
function fakeTty(): NodeJS.WriteStream & { writes: string[] } {
  const stream = Object.assign(new EventEmitter(), {
    writes: [] as string[],
    isTTY: true,
    columns: 80,
    rows: 24,
    write(chunk: string, _encoding?: unknown, callback?: () => void): boolean {
      stream.writes.push(chunk);
      callback?.();
      return true;
    },
  });
  return stream as unknown as NodeJS.WriteStream & { writes: string[] };
}

const ERASE_3 = '\u001b[2K\u001b[1A\u001b[2K\u001b[1A\u001b[2K\u001b[G';

describe('inPlaceOutput', () => {
  test('turns erase-then-write frames into in-place overwrites', () => {
    const tty = fakeTty();
    const out = inPlaceOutput(tty);
    out.write('first\nsecond\n');
    out.write(`${ERASE_3}one\ntwo\n`);
    out.write('\u001b[2J\u001b[3J\u001b[Hthree');
    assert.deepEqual(tty.writes, ['\u001b[Hfirst\u001b[K\nsecond\u001b[K\u001b[J', '\u001b[Hone\u001b[K\ntwo\u001b[K\u001b[J', '\u001b[Hthree\u001b[K\u001b[J']);
    assert.ok(tty.writes.every((chunk) => !/\u001b\[(1A|2K|2J)/.test(chunk)), 'nothing is erased before it is replaced');
  });

  test('passes mode switches through, clears on a bare erase, keeps callbacks and the stream API', () => {
    const tty = fakeTty();
    const out = inPlaceOutput(tty);
    let called = 0;
    out.write('\u001b[?2026h');
    out.write('\u001b[?25l');
    out.write('', () => called++);
    out.write(ERASE_3);
    assert.deepEqual(tty.writes, ['\u001b[?2026h', '\u001b[?25l', '', '\u001b[H\u001b[J']);
    assert.equal(called, 1);
    assert.equal(out.columns, 80);
    let resized = 0;
    out.on('resize', () => resized++);
    tty.emit('resize');
    assert.equal(resized, 1, 'listeners attach to the real stream');
  });
});

describe('StderrHold', () => {
  test('holds stderr writes while active, counts them, and writes them when released', () => {
    const seen: number[] = [];
    const original = process.stderr.write;
    const passed: string[] = [];
    process.stderr.write = ((chunk: string) => {
      passed.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const hold = new StderrHold((count) => seen.push(count), 2);
      hold.start();
      for (const n of [1, 2, 3, 4, 5]) process.stderr.write(`message ${n}\n`);
      assert.deepEqual(passed, [], 'nothing reaches the terminal while held');
      assert.deepEqual(seen, [1, 2, 3, 4, 5]);
      hold.release();
      assert.equal(passed.join(''), 'message 1\nmessage 2\nstracectl top: (1 more messages not shown)\nmessage 4\nmessage 5\n');
      process.stderr.write('after\n');
      assert.equal(passed.at(-1), 'after\n', 'stderr is back');
    } finally {
      process.stderr.write = original;
    }
  });
});
