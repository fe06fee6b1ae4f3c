/**
 * Property-based tests of the strace parser (fast-check):
 * - arbitrary data inside quoted arguments — strace syntax included — never
 *   changes how a line parses;
 * - lines generated in every form (prefix, stamp, decorations, errno, extra
 *   text, latency, unfinished/resumed split, interleaved pids) parse back to
 *   the fields they were built from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { newScannedLine, scanStraceLine, scanStraceRange } from '../../src/strace/line.js';
import { StraceParser, type StraceParserOptions } from '../../src/strace/parser.js';

function parseAll(lines: string[], options: StraceParserOptions): { records: TraceRecord[]; invalid: string[] } {
  const records: TraceRecord[] = [];
  const invalid: string[] = [];
  const parser = new StraceParser({ ...options, onInvalidLine: (n, why) => void invalid.push(`${n}: ${why}: ${lines[n - 1]}`) }, (r) => records.push(r));
  for (const line of lines) parser.push(line);
  parser.end();
  return { records, invalid };
}

/** Quotes bytes the way strace prints a string argument. */
function straceQuote(content: string): string {
  let out = '"';
  for (const ch of content) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else out += ch;
  }
  return out + '"';
}

/** A path as -y prints it: `<`, `>`, `"` and `\` escaped, control bytes in hex. */
function stracePath(path: string): string {
  let out = '';
  for (const ch of path) {
    const c = ch.codePointAt(0) as number;
    if (ch === '<' || ch === '>') out += '\\x' + c.toString(16);
    else if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

const TRICKY = [') = -1 EPERM (', ') = 0', '<unfinished ...>', '<... read resumed>', '"', '\\', '\\"', '{', '}', '[', ']', '(', ')', '<', '>', '->', ' = ', '= ?', '--- SIGINT ---', '+++ exited with 0 +++', '\n', '\t', '\0', '...', 'x', ' ', '/* 3 vars */'];
const trickyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.constantFrom(...TRICKY), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary-ascii', maxLength: 6 })), { maxLength: 10 }).map((parts) => parts.join('')),
);
const quoted = fc.tuple(trickyText, fc.boolean()).map(([text, truncated]) => straceQuote(text) + (truncated ? '...' : ''));
const syscallName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
const errnoName = fc.oneof(fc.constantFrom('ENOENT', 'EACCES', 'EAGAIN', 'EINTR', 'EPERM', 'ERESTARTSYS'), fc.stringMatching(/^E[A-Z][A-Z0-9_]{0,10}$/));
const pathText = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }).map((p) => '/' + stracePath(p));

/** One argument as strace prints it. */
const argument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1, max: 1 << 30 }).map(String),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => '0x' + n.toString(16)),
  fc.constantFrom('NULL', 'O_RDONLY|O_CLOEXEC', 'AT_FDCWD', '~[RTMIN RT_1]', '[128 => 16]', '/* 39 vars */', 'makedev(0x1, 0x3)', '[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]'),
  quoted,
  fc.tuple(fc.nat(1024), pathText).map(([fd, p]) => `${fd}<${p}>`),
  fc.tuple(fc.nat(1024), fc.nat(65535), fc.nat(65535)).map(([fd, a, b]) => `${fd}<TCP:[127.0.0.1:${a}->127.0.0.1:${b}]>`),
  fc.tuple(fc.nat(1024), fc.nat(1 << 20), fc.nat(1 << 20)).map(([fd, a, b]) => `${fd}<UNIX-STREAM:[${a}->${b}]>`),
  fc.nat(9).map((fd) => `${fd}</dev/null<char 1:3>>`),
  fc.tuple(quoted, fc.nat(1 << 20)).map(([q, n]) => `{st_mode=S_IFREG|0644, st_size=${n}, name=${q}, sub={a=[1, 2], b=htons(80)}}`),
  fc.array(quoted, { maxLength: 3 }).map((qs) => `[${qs.join(', ')}]`),
);

type Result =
  | { kind: 'value'; ret: string; decoration: string; extra: string }
  | { kind: 'error'; ret: '-1' | '?'; errno: string }
  | { kind: 'bare' };
const result: fc.Arbitrary<Result> = fc.oneof(
  fc
    .tuple(
      fc.oneof(fc.nat().map(String), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => '0x' + n.toString(16))),
      fc.oneof(fc.constant(''), pathText.map((p) => `<${p}>`), fc.nat(65535).map((p) => `<TCP:[127.0.0.1:${p}->127.0.0.1:1]>`)),
      fc.constantFrom('', ' (Timeout)', ' (flags FD_CLOEXEC)', ' ([{fd=3, revents=POLLIN}])'),
    )
    .map(([ret, decoration, extra]) => ({ kind: 'value' as const, ret, decoration, extra })),
  fc.tuple(fc.constantFrom('-1' as const, '?' as const), errnoName).map(([ret, errno]) => ({ kind: 'error' as const, ret, errno })),
  fc.constant({ kind: 'bare' as const }),
);

function resultText(r: Result): string {
  if (r.kind === 'value') return `= ${r.ret}${r.decoration}${r.extra}`;
  if (r.kind === 'error') return `= ${r.ret} ${r.errno} (${r.errno === 'ERESTARTSYS' ? 'To be restarted if SA_RESTART is set' : 'Some text (with parens)'})`;
  return '= ?';
}

type PrefixForm = 'none' | 'o' | 'bracket';
type StampForm = 'none' | 't' | 'tt' | 'ttt' | 'r';
const DAY_US = 86_400_000_000;

/** The stamp text for an instant (µs since the epoch); for -r, `delta` is printed instead. */
function stampText(form: StampForm, micros: number, delta: number, withPid: boolean): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const us = String(micros % 1_000_000).padStart(6, '0');
  switch (form) {
    case 'none':
      return '';
    case 't':
      return iso.slice(11, 19) + ' ';
    case 'tt':
      return `${iso.slice(11, 19)}.${us} `;
    case 'ttt':
      return `${Math.floor(micros / 1_000_000)}.${us} `;
    case 'r': {
      const text = `${Math.floor(delta / 1_000_000)}.${String(delta % 1_000_000).padStart(6, '0')}`;
      return (withPid ? text : text.padStart(12)) + ' ';
    }
  }
}

function prefixText(form: PrefixForm, pid: number): string {
  return form === 'none' ? '' : form === 'o' ? `${pid} ` : `[pid ${String(pid).padStart(5)}] `;
}

function isoMicros(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().slice(0, 20) + String(micros % 1_000_000).padStart(6, '0') + 'Z';
}

const call = fc.record({
  prefix: fc.constantFrom<PrefixForm>('none', 'o', 'bracket'),
  pid: fc.integer({ min: 1, max: 4_194_304 }),
  stamp: fc.constantFrom<StampForm>('none', 't', 'tt', 'ttt', 'r'),
  // An instant between 2001 and 2033, not in the last hour of its day (no midnight crossing within a pair).
  day: fc.integer({ min: 11_323, max: 23_000 }),
  timeOfDay: fc.integer({ min: 0, max: DAY_US - 3_600_000_001 }),
  delta: fc.integer({ min: 0, max: 5_000_000 }),
  name: syscallName,
  args: fc.array(argument, { maxLength: 6 }),
  result,
  latencyUs: fc.option(fc.integer({ min: 0, max: 99_999_999_999 }), { nil: undefined }),
  split: fc.option(fc.nat(6), { nil: undefined }),
  padding: fc.integer({ min: 1, max: 30 }),
});
type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

/** The line(s) strace would print for a call, and the event they must give. */
function render(c: Call): { lines: string[]; expected: SyscallEvent; options: StraceParserOptions } {
  const entry = c.day * DAY_US + c.timeOfDay;
  const exit = entry + c.delta;
  const date = new Date(c.day * 86_400_000).toISOString().slice(0, 10);
  const start = isoMicros(c.day * DAY_US);
  const prefix = prefixText(c.prefix, c.pid);
  const withPid = c.prefix !== 'none';
  const tail = ` ${resultText(c.result)}${c.latencyUs === undefined ? '' : ` <${Math.floor(c.latencyUs / 1e6)}.${String(c.latencyUs % 1e6).padStart(6, '0')}>`}`;
  const args = c.args.join(', ');
  let lines: string[];
  let entryMicros: number;
  if (c.split === undefined) {
    lines = [`${prefix}${stampText(c.stamp, entry, c.delta, withPid)}${c.name}(${args})${' '.repeat(c.padding - 1)}${tail}`];
    entryMicros = c.stamp === 'r' ? c.day * DAY_US + c.delta : entry;
  } else {
    const k = Math.min(c.split, c.args.length);
    const head = c.args.slice(0, k).join(', ') + (k > 0 && k < c.args.length ? ', ' : '');
    const rest = c.args.slice(k).join(', ');
    lines = [
      `${prefix}${stampText(c.stamp, entry, c.delta, withPid)}${c.name}(${head} <unfinished ...>`,
      `${prefix}${stampText(c.stamp, exit, c.delta, withPid)}<... ${c.name} resumed>${rest})${tail}`,
    ];
    entryMicros = c.stamp === 'r' ? c.day * DAY_US + c.delta : entry;
  }
  const timestamp =
    c.stamp === 'none' ? isoMicros(c.day * DAY_US) : c.stamp === 't' ? isoMicros(entryMicros - (entryMicros % 1_000_000)) : isoMicros(entryMicros);
  const expected: SyscallEvent = {
    pid: withPid ? c.pid : 0,
    name: c.name,
    args,
    ret: c.result.kind === 'bare' ? '?' : c.result.ret,
    latency_ns: (c.latencyUs ?? 0) * 1000,
    error: c.result.kind === 'error' ? c.result.errno : '',
    timestamp,
  };
  if (c.result.kind === 'value' && c.result.decoration !== '') expected.ret_path = c.result.decoration.slice(1, -1);
  return { lines, expected, options: { date, start, pidLookahead: 0 } };
}

describe('property: quoted data never breaks parsing', () => {
  it('a string argument with any content, complete or split across unfinished/resumed', () => {
    fc.assert(
      fc.property(trickyText, fc.boolean(), fc.constantFrom<PrefixForm>('none', 'o', 'bracket'), fc.nat(2), (text, truncated, prefixForm, splitAt) => {
        const q = straceQuote(text) + (truncated ? '...' : '');
        const prefix = prefixText(prefixForm, 4242);
        const args = ['1', q, '77'];
        const lines =
          splitAt === 0
            ? [`${prefix}write(${args.join(', ')}) = -1 EPERM (Operation not permitted) <0.000012>`]
            : [`${prefix}write(${args.slice(0, splitAt).join(', ')},  <unfinished ...>`, `${prefix}<... write resumed>${args.slice(splitAt).join(', ')}) = -1 EPERM (Operation not permitted) <0.000012>`];
        const { records, invalid } = parseAll(lines, { pid: 4242 });
        assert.deepEqual(invalid, []);
        assert.equal(records.length, 1);
        const e = records[0] as SyscallEvent;
        assert.equal(e.name, 'write');
        assert.equal(e.args, args.join(', '));
        assert.equal(e.ret, '-1');
        assert.equal(e.error, 'EPERM');
        assert.equal(e.latency_ns, 12_000);
        assert.equal(e.pid, 4242);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: a line scanned in place in its block', () => {
  it('reads exactly as the line on its own, whatever lines are around it', () => {
    const noNewline = (text: string): string => text.replace(/[\r\n]/g, ' ');
    const anyLine = fc.oneof(
      call.map((c) => render(c).lines[0]!),
      call.map((c) => render(c).lines.at(-1)!),
      trickyText.map(noNewline),
      fc.constantFrom('', ' ', '--- SIGCHLD ---', '+++ exited with 0 +++', '% time', 'strace: Process 7 attached', 'x(', 'read(0, <unfinished ...>'),
    );
    const around = fc.oneof(trickyText.map(noNewline), anyLine);
    fc.assert(
      fc.property(anyLine, around, around, fc.constantFrom('\n', '\r\n'), (line, before, after, newline) => {
        const alone = newScannedLine();
        scanStraceLine(line, alone);
        const text = before + newline + line + newline + after;
        const start = before.length + newline.length;
        const inPlace = newScannedLine();
        // Positions are in `text`: compared as if in the line alone.
        inPlace.stampStart = inPlace.stampEnd = start;
        scanStraceRange(text, start, start + line.length, inPlace);
        inPlace.stampStart -= start;
        inPlace.stampEnd -= start;
        assert.deepEqual(inPlace, alone, JSON.stringify(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('property: generated lines round-trip', () => {
  it('every form parses back to the fields it was built from', () => {
    fc.assert(
      fc.property(call, (c) => {
        const { lines, expected, options } = render(c);
        const { records, invalid } = parseAll(lines, options);
        assert.deepEqual(invalid, [], lines.join('\n'));
        assert.equal(records.length, 1, lines.join('\n'));
        assert.deepEqual(records[0], expected, lines.join('\n'));
      }),
      { numRuns: 3000 },
    );
  });

  it('interleaved pairs of several pids (-f -o) each come back whole, in completion order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 99_999 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.array(argument, { minLength: 2, maxLength: 4 }), { minLength: 8, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        (pids, argLists, order) => {
          const lines = pids.map((pid, i) => `${pid} 20:00:0${i}.000000 read(${(argLists[i] as string[])[0]},  <unfinished ...>`);
          const pending = [...pids.keys()];
          const completion: number[] = [];
          const it = order[Symbol.iterator]();
          while (pending.length > 0) {
            const [i] = pending.splice((it.next().value as number) % pending.length, 1) as [number];
            completion.push(i);
            lines.push(`${pids[i]} 20:00:09.000000 <... read resumed>${(argLists[i] as string[]).slice(1).join(', ')}) = ${i} <0.00000${i}>`);
          }
          const { records, invalid } = parseAll(lines, { date: '2026-11-27' });
          assert.deepEqual(invalid, []);
          assert.deepEqual(
            records,
            completion.map((i) => ({
              pid: pids[i],
              name: 'read',
              args: (argLists[i] as string[]).join(', '),
              ret: String(i),
              latency_ns: i * 1000,
              error: '',
              timestamp: `2026-11-27T20:00:0${i}.000000Z`,
            })),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('garbage never throws and never yields an event with invalid fields', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), trickyText), { maxLength: 20 }), (lines) => {
        const { records } = parseAll(
          lines.map((l) => l.replace(/[\r\n]/g, ' ')),
          { pid: 1 },
        );
        for (const r of records) {
          const e = r as SyscallEvent;
          assert.ok(Number.isSafeInteger(e.pid));
          assert.match(e.name, /^[A-Za-z0-9_]+$/);
          assert.match(e.ret, /^(\?|-?\d+|0x[0-9a-fA-F]+)$/);
          assert.match(e.error, /^(|E[A-Z0-9_]*)$/);
          assert.ok(Number.isSafeInteger(e.latency_ns) && e.latency_ns >= 0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
