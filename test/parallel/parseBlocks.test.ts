/**
 * The parallel parse's two halves, on this thread: BlockScanner (each block
 * scanned alone, as a worker does) then ParseAssembler.pushBlock must write
 * byte for byte what ParseAssembler.pushLines writes (StraceParser reading
 * every line itself, pinned to the per-line path in
 * test/operators/parseStraceToNdjson.test.ts), with the same warnings and
 * line numbers — wherever the blocks are cut, and whatever the scanner was
 * told to guess (the pid of unprefixed lines is only a guess).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { BatchedWriter } from '../../src/io.js';
import { BlockScanner, ParseAssembler, type BlockHint } from '../../src/parallel/parseBlocks.js';

const traceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/strace');
const traces = readdirSync(traceDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(path.join(traceDir, f), 'utf8') }));

interface Options {
  normalize?: boolean;
  meta?: boolean;
  maxLineBytes?: number;
}

type Guess = 'now' | ((block: number, now: BlockHint) => BlockHint);

interface Run {
  out: string;
  warnings: string[];
}

function assemblerFor(options: Options, warnings: string[]): ParseAssembler {
  return new ParseAssembler({
    date: '2026-11-27',
    normalize: options.normalize === true,
    emitMeta: options.meta,
    maxLineBytes: options.maxLineBytes ?? 4096,
    onInvalidLine: (line, reason) => warnings.push(`${line}: ${reason}`),
    onOversizedLine: (line, length) => warnings.push(`${line}: too long (${length})`),
  });
}

function oneThread(text: string, options: Options = {}): Run {
  const warnings: string[] = [];
  const assembler = assemblerFor(options, warnings);
  assembler.pushLines(text);
  assembler.end();
  return { out: Buffer.from(assembler.take() ?? []).toString(), warnings };
}

/** Cuts `text` before the lines numbered in `cuts` (0-based) and scans each block alone. */
function inBlocks(text: string, cuts: readonly number[], options: Options = {}, guess: Guess = 'now'): Run {
  const warnings: string[] = [];
  const assembler = assemblerFor(options, warnings);
  const scanner = new BlockScanner({ date: '2026-11-27', normalize: options.normalize === true, maxLineBytes: options.maxLineBytes ?? 4096 });
  const lines = text.split(/(?<=\n)/);
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < lines.length), lines.length])].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const block = lines.slice(bounds[b], bounds[b + 1]).join('');
    assembler.pushBlock(scanner.scan(block, guess === 'now' ? assembler.hint() : guess(b, assembler.hint())));
    out.push(assembler.take() ?? new Uint8Array(0));
  }
  assembler.end();
  out.push(assembler.take() ?? new Uint8Array(0));
  return { out: Buffer.concat(out).toString(), warnings };
}

function every(n: number, text: string): number[] {
  const count = text.split('\n').length;
  const cuts: number[] = [];
  for (let at = n; at < count; at += n) cuts.push(at);
  return cuts;
}

function assertSame(text: string, cuts: readonly number[], options: Options = {}, guess: Guess = 'now'): void {
  const expected = oneThread(text, options);
  const actual = inBlocks(text, cuts, options, guess);
  assert.equal(actual.out, expected.out);
  assert.deepEqual(actual.warnings, expected.warnings);
}

const wrongGuesses: Guess = (block) => ({ pid: block % 2 === 0 ? 0 : 4242 });
/** Wrong, but mostly as long as the right pid (the assembler writes those over the guess in place). */
const nearbyGuesses: Guess = (block, now) => ({ pid: now.pid + 1 + (block % 2) });

describe('BlockScanner + ParseAssembler', () => {
  it('every fixture trace, cut every 1, 7 and 300 lines, with right and wrong guesses (of other lengths and of the same), raw and normalised', () => {
    for (const { name, text } of traces) {
      for (const options of [{}, { normalize: true, meta: true }] satisfies Options[]) {
        assert.ok(oneThread(text, options).out.length > 0, name);
        for (const n of [1, 7, 300]) {
          for (const guess of ['now', wrongGuesses, nearbyGuesses] satisfies Guess[]) {
            const expected = oneThread(text, options);
            const actual = inBlocks(text, every(n, text), options, guess);
            assert.equal(actual.out, expected.out, `${name} every ${n} ${JSON.stringify(options)}`);
            assert.deepEqual(actual.warnings, expected.warnings, name);
          }
        }
      }
    }
  });

  it('all fixture traces back to back (pids, -r sums and clocks carried across traces), cut at random', () => {
    const text = traces.map((t) => t.text).join('');
    const lineCount = text.split('\n').length;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: lineCount - 1 }), { maxLength: 40 }), fc.constantFrom<Guess>('now', wrongGuesses, nearbyGuesses), (cuts, guess) => {
        assertSame(text, cuts, { normalize: true, meta: true }, guess);
      }),
      { numRuns: 30 },
    );
  });

  it('-t/-tt stamps crossing midnight twice, in whatever block the crossing falls', () => {
    const text = [
      '1 22:00:00 getpid() = 1',
      '1 23:59:59.500000 getpid() = 1',
      '1 00:00:01.25 getpid() = 1',
      '1 12:00:00 getpid() = 1',
      '1 23:59:58 getpid() = 1',
      '1 00:00:02.123456789 getpid() = 1',
      '1 00:00:03 read(0, "", 1) = 0',
    ].join('\n');
    for (const n of [1, 2, 3, 4]) assertSame(text, every(n, text));
    const { out } = oneThread(text);
    assert.match(out, /"timestamp":"2026-11-29T00:00:03\.000000Z"/);
  });

  it('-r sums, a delta too big for the scanner, no stamp at all', () => {
    const text = [
      '     0.000100 brk(NULL) = 0x1',
      '     0.000200 brk(NULL) = 0x2',
      '  2200.000001 brk(NULL) = 0x3',
      '     1.5 brk(NULL) = 0x4',
      'brk(NULL) = 0x5',
    ].join('\n');
    for (const n of [1, 2, 5]) assertSame(text, every(n, text), {}, wrongGuesses);
  });

  it('pids beyond 32 bits, unprefixed lines before the pid is known, getpid teaching it in a later block', () => {
    const text = [
      'brk(NULL) = 0x1',
      'openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory)',
      'set_tid_address(0x7f) = 777',
      'brk(NULL) = 0x2',
      '9999999999 brk(NULL) = 0x3',
      '778 brk(NULL) = 0x4',
      'brk(NULL) = 0x5',
      '+++ exited with 0 +++',
      'brk(NULL) = 0x6',
    ].join('\n');
    for (const n of [1, 2, 3]) {
      assertSame(text, every(n, text), { meta: true });
      assertSame(text, every(n, text), { meta: true }, wrongGuesses);
    }
  });

  it('more unprefixed lines than the pid look-ahead before the pid is known', () => {
    const text = [...Array.from({ length: 300 }, (_, i) => `brk(NULL) = 0x${i}`), 'getpid() = 55', 'brk(NULL) = 0x1'].join('\n');
    for (const n of [1, 100, 255, 257]) assertSame(text, every(n, text), {}, wrongGuesses);
  });

  it('non-ASCII arguments in blocks of more than one batch (byte offsets), CRLF', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(i % 7 === 0 ? `1 write(1, "é€😀 ${i}", 12) = 12\r` : `1 read(3, "plain ${i}", 64) = 9 <0.000002>`);
    }
    const text = lines.join('\n');
    for (const n of [1000, 3000]) assertSame(text, every(n, text), { normalize: true });
  });

  it('the strace -c table ends the events; invalid and oversized lines keep their numbers', () => {
    const text = [
      '1 brk(NULL) = 0x1',
      'garbage',
      `1 write(1, "${'A'.repeat(200)}", 200) = 200`,
      '1 brk(NULL) = 0x2',
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      '1 brk(NULL) = 0x3',
      'garbage after the table',
    ].join('\n');
    for (const n of [1, 2, 3, 5]) assertSame(text, every(n, text), { maxLineBytes: 100 });
    const { out, warnings } = oneThread(text, { maxLineBytes: 100 });
    assert.equal(out.split('\n').length - 1, 2);
    assert.deepEqual(warnings, ['2: not a strace line', '3: too long (225)']);
  });

  it('unfinished calls resumed across blocks, and calls never resumed', () => {
    const text = [
      '1 read(0,  <unfinished ...>',
      '2 wait4(-1,  <unfinished ...>',
      '1 <... read resumed>"x", 1) = 1',
      '3 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>',
      '1 brk(NULL) = 0x1',
      '2 <... wait4 resumed>NULL, 0, NULL) = 3',
      '4 read(0,  <unfinished ...>',
      '4 write(1, "x", 1 <unfinished ...>',
      '4 <... write resumed>) = 1',
      '5 poll([{fd=3, events=POLLIN}], 1, -1 <unfinished ...>',
      '--- SIGCHLD {si_signo=SIGCHLD} ---',
      '5 <... poll resumed>) = 1 ([{fd=3, revents=POLLIN}])',
      '6 nanosleep({tv_sec=1, tv_nsec=0},  <unfinished ...>',
      '6 +++ killed by SIGKILL +++',
      '1 exit_group(0) = ?',
    ].join('\n');
    for (const n of [1, 2, 3, 4, 100]) assertSame(text, every(n, text), { normalize: true, meta: true });
    const events = oneThread(text, { meta: true }).out.split('\n').filter((l) => l.includes('"name"'));
    assert.ok(events.some((l) => l.includes('"name":"read"') && l.includes('"unfinished":true')));
  });

  it('pairs within a block are written by the scanner, unless a line between them could change which call the resumed line completes', () => {
    const pairs = [
      '7 18:00:00.000001 read(0,  <unfinished ...>',
      '8 18:00:00.000002 brk(NULL) = 0x1',
      '7 18:00:00.000003 <... read resumed>"x", 1) = 1 <0.000002>',
      // An earlier call of the pid still open: the parser emits it unfinished when the next entry comes.
      '9 18:00:00.000004 wait4(-1,  <unfinished ...>',
      '9 18:00:00.000005 poll([{fd=3, events=POLLIN}], 1, -1 <unfinished ...>',
      '9 18:00:00.000006 <... poll resumed>) = 1 ([{fd=3, revents=POLLIN}]) <0.000002>',
      // Midnight between the entry and its resumed line: the event has the entry's day.
      '7 23:59:59.999999 openat(AT_FDCWD, "/x", O_RDONLY <unfinished ...>',
      '8 00:00:00.000001 brk(NULL) = 0x2',
      '7 00:00:00.000002 <... openat resumed>) = 3</x> <0.000003>',
    ];
    const broken = [
      '12 01:00:00 brk(NULL) = 0x1',
      '13 01:00:00 brk(NULL) = 0x2',
      // Unprefixed lines may be any pid's; so may the resumed half be.
      '7 01:00:00 read(0,  <unfinished ...>',
      '01:00:01 brk(NULL) = 0x3',
      '7 01:00:02 <... read resumed>"x", 1) = 1',
      '7 01:00:03 read(0,  <unfinished ...>',
      '01:00:04 <... read resumed>"y", 1) = 1',
      '7 01:00:04 <... read resumed>"y2", 1) = 1',
      // An exit, the same pid again, a resumed line of another name or with `= ?`.
      '10 01:00:05 nanosleep({tv_sec=1, tv_nsec=0},  <unfinished ...>',
      '10 01:00:06 +++ killed by SIGKILL +++',
      '10 01:00:07 <... nanosleep resumed>NULL) = 0',
      '11 01:00:08 read(0,  <unfinished ...>',
      '11 01:00:09 <... write resumed>) = 1',
      '11 01:00:10 <... read resumed>"z", 1) = 1',
      '12 01:00:11 exit_group(0 <unfinished ...>',
      '12 01:00:12 <... exit_group resumed>) = ?',
      // 12 is gone: unprefixed lines are 13's now.
      '01:00:12 brk(NULL) = 0x4',
      '13 01:00:13 read(0,  <unfinished ...>',
      '13 01:00:14 read(4,  <unfinished ...>',
      '13 01:00:15 <... read resumed>"w", 1) = 1',
      // The -c table: nothing after it counts, and the entry before it is still emitted unfinished.
      '14 01:00:16 read(0,  <unfinished ...>',
      '% time     seconds  usecs/call     calls    errors syscall',
      '14 01:00:17 <... read resumed>"v", 1) = 1',
    ];
    const relative = ['7      0.000010 read(0,  <unfinished ...>', '8      0.000020 brk(NULL) = 0x1', '7      0.000030 <... read resumed>"x", 1) = 1'];
    const held = ['brk(NULL) = 0x0', ...relative, 'getpid() = 8'];
    // An unprefixed getpid teaching a pid whose entry is pending: an open call of unknown pid becomes that pid's, or not.
    const taught = ['read(0,  <unfinished ...>', '7 write(1, "x", 1 <unfinished ...>', '7 exit_group(0) = ?', 'getpid() = 7', '7 <... write resumed>) = 1'];
    for (const lines of [pairs, broken, [...pairs, ...broken], relative, held, taught]) {
      const text = lines.join('\n');
      for (const n of [1, 2, 3, 1000]) {
        assertSame(text, every(n, text), { normalize: true, meta: true });
        assertSame(text, every(n, text), {}, wrongGuesses);
      }
    }
    // The pairs are really the scanner's: none of their lines goes to the parser as text.
    const scanned = new BlockScanner({ date: '2026-11-27', normalize: false, maxLineBytes: 4096 }).scan(pairs.join('\n'), { pid: 0 });
    assert.deepEqual(scanned.lines.filter((line) => line !== ''), [pairs[3]]);
    const out = oneThread(pairs.join('\n')).out;
    assert.match(out, /"name":"openat","args":"AT_FDCWD, \\"\/x\\", O_RDONLY","ret":"3",.*"timestamp":"2026-11-27T23:59:59\.999999Z","ret_path":"\/x"/);
    assert.match(out, /"name":"wait4",.*"unfinished":true/);
  });

  it('a chunk taken is not written over before a BatchedWriter wrote it out; its memory is filled again after', async () => {
    const assembler = assemblerFor({}, []);
    const lines = traces.find((t) => t.name === 'perl_socketpair_fork.txt')!.text.split(/(?<=\n)/);
    const quarter = Math.floor(lines.length / 4);
    const parts = [0, 1, 2, 3].map((q) => lines.slice(q * quarter, q === 3 ? lines.length : (q + 1) * quarter).join(''));
    const taken: Uint8Array[] = [];
    const takePart = (q: number): Uint8Array => {
      assembler.pushLines(parts[q]!);
      if (q === 3) assembler.end();
      const chunk = assembler.take()!;
      taken.push(chunk);
      return chunk;
    };
    const first = takePart(0);
    const firstText = Buffer.from(first).toString();
    const second = takePart(1);
    assert.ok(second.buffer !== first.buffer, 'a chunk not written yet is not filled again');
    assert.equal(Buffer.from(first).toString(), firstText);

    const writer = new BatchedWriter(new Writable({ write: (_chunk, _encoding, done) => done() }));
    writer.writeBytes(first);
    await writer.end();
    await new Promise((resolve) => setImmediate(resolve));
    takePart(2);
    const last = takePart(3);
    assert.ok(last.buffer === first.buffer, 'the memory of the chunk written is filled again');
    assert.equal(firstText + taken.slice(1).map((chunk) => Buffer.from(chunk).toString()).join(''), oneThread(lines.join('')).out);
  });
});
