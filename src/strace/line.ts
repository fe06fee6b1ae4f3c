/**
 * The strace line scanner: one line of strace text in, its parts out, with no
 * state carried between lines (pairing and timestamps live in parser.ts).
 *
 * A line is `[PREFIX] [STAMP] BODY`:
 * - PREFIX: `[pid N] ` (stderr with -f, only while several tracees live) or
 *   `N ` (-f with -o, always there);
 * - STAMP: `HH:MM:SS` (-t), `HH:MM:SS.ffffff` (-tt), `N.ffffff` (-ttt, and -r
 *   which is left-padded with spaces when there is no PREFIX);
 * - BODY: `name(args) = ret [ERRNO (text)] [(extra)] [<latency>]`,
 *   `name(args <unfinished ...>`, `<... name resumed>args) = ret …`,
 *   `--- SIG… ---`, `+++ exited with N +++`, `strace: …`.
 *
 * The argument text is scanned forward respecting quoted strings, nested
 * parentheses and -y/-yy fd decorations (`3</dev/null<char 1:3>>`), because
 * quoted data may hold anything (`") = -1 EPERM ("`, `<unfinished ...>`).
 * Should that scan not yield a well-formed result, the `) = ` candidates are
 * tried from the right instead. The scanner uses charCodeAt/indexOf only:
 * no regular expressions on the hot path.
 */

export type LineKind =
  | 'blank'
  | 'syscall'
  | 'unfinished'
  | 'resumed'
  | 'signal'
  | 'exit'
  | 'attached'
  | 'detached'
  /** strace's own chatter, `-k` stack frames, the `-c` summary header: not data, not an error. */
  | 'info'
  | 'summary'
  | 'invalid';

/** Where the time stamp of a line is and which form it has. */
export type StampKind = 'none' | 'clock' | 'seconds';

/** The scanner's output. One instance is reused line after line (no per-line allocation). */
export interface ScannedLine {
  kind: LineKind;
  /** From the prefix; -1 when the line has none. */
  pid: number;
  stampKind: StampKind;
  stampStart: number;
  stampEnd: number;
  /** Syscall name (syscall, unfinished, resumed). */
  name: string;
  /** Argument text: all of it (syscall), the part before `<unfinished ...>`, or the part after `resumed>`. */
  args: string;
  ret: string;
  /** -y/-yy (or -Y) decoration of the return value without its outer `<>`; '' when none. */
  retPath: string;
  error: string;
  latencyNs: number;
  /** signal: the signal name; exit: `exited`/`killed`/`superseded`; invalid: the reason. */
  text: string;
  /** signal: the text between the name and the closing `---`; exit: the rest (status, signal…). */
  detail: string;
  /** attached/detached: the pid strace names. */
  otherPid: number;
}

export function newScannedLine(): ScannedLine {
  return {
    kind: 'blank',
    pid: -1,
    stampKind: 'none',
    stampStart: 0,
    stampEnd: 0,
    name: '',
    args: '',
    ret: '',
    retPath: '',
    error: '',
    latencyNs: 0,
    text: '',
    detail: '',
    otherPid: 0,
  };
}

const SPACE = 32;
const LPAREN = 40;
const RPAREN = 41;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const COLON = 58;
const LT = 60;
const EQ = 61;
const GT = 62;
const QMARK = 63;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const RBRACE = 125;

const UNFINISHED = '<unfinished ...>';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isWordChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 95;
}

function isUpperWordChar(c: number): boolean {
  return (c >= 65 && c <= 90) || isDigit(c) || c === 95;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function skipSpaces(line: string, i: number, end: number): number {
  while (i < end && line.charCodeAt(i) === SPACE) i++;
  return i;
}

/** Index of the `"` closing the string opened at `open`, or -1. Backslash escapes are honoured. */
function closingQuote(line: string, open: number, end: number): number {
  let i = open + 1;
  for (;;) {
    const q = line.indexOf('"', i);
    if (q === -1 || q >= end) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > open && line.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return q;
    i = q + 1;
  }
}

/**
 * Does the `<` at `i` open an fd decoration? It does right after an fd
 * (`3<`, `AT_FDCWD<`, a pid with -Y) when a path or a `type:` label follows;
 * `1<<20` or `x < y` are left alone.
 */
function opensDecoration(line: string, i: number, from: number, end: number): boolean {
  if (i <= from || i + 1 >= end) return false;
  if (!isWordChar(line.charCodeAt(i - 1))) return false;
  const next = line.charCodeAt(i + 1);
  return next === SLASH || isLetter(next);
}

/**
 * Index of the `>` closing the decoration opened at `open`, or -1. Paths
 * have `<`/`>` escaped by strace, so raw ones nest (`<char 1:3>`); the only
 * other raw `>` is the arrow of a socket decoration (`[a->b]`), told apart by
 * what follows it.
 */
function closingAngle(line: string, open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
    } else if (c === LT) {
      depth++;
    } else if (c === GT) {
      if (line.charCodeAt(i - 1) === MINUS && i + 1 < end) {
        const n = line.charCodeAt(i + 1);
        if (n !== GT && n !== COMMA && n !== RPAREN && n !== SPACE && n !== RBRACKET && n !== RBRACE) continue;
      }
      if (--depth === 0) return i;
    }
  }
  return -1;
}

/** Index of `ch` in line[from, end), or `end`. */
function nextOf(line: string, ch: string, from: number, end: number): number {
  const at = line.indexOf(ch, from);
  return at === -1 || at > end ? end : at;
}

/**
 * Index of the `)` that closes the syscall's argument list, scanning from
 * `from` (just inside the `(`) up to `end`. -1: not closed; -2: a quoted
 * string is not closed. It hops from one structural character (`"`, `(`,
 * `)`, `<`) to the next with native indexOf rather than looking at every
 * character: most of a line is plain text.
 */
export function findArgsEnd(line: string, from: number, end: number): number {
  let depth = 1;
  let quote = nextOf(line, '"', from, end);
  let open = nextOf(line, '(', from, end);
  let close = nextOf(line, ')', from, end);
  let angle = nextOf(line, '<', from, end);
  for (;;) {
    if (close < quote && close < open && close < angle) {
      if (--depth === 0) return close;
      close = nextOf(line, ')', close + 1, end);
    } else if (open < quote && open < angle) {
      if (open >= end) return -1;
      depth++;
      open = nextOf(line, '(', open + 1, end);
    } else if (quote < angle) {
      if (quote >= end) return -1;
      const q = closingQuote(line, quote, end);
      if (q === -1) return -2;
      quote = nextOf(line, '"', q + 1, end);
      // Whatever was inside the string does not count.
      if (open < q) open = nextOf(line, '(', q + 1, end);
      if (close < q) close = nextOf(line, ')', q + 1, end);
      if (angle < q) angle = nextOf(line, '<', q + 1, end);
    } else {
      if (angle >= end) return -1;
      const a = opensDecoration(line, angle, from, end) ? closingAngle(line, angle, end) : -1;
      if (a === -1) {
        angle = nextOf(line, '<', angle + 1, end);
        continue;
      }
      angle = nextOf(line, '<', a + 1, end);
      if (open < a) open = nextOf(line, '(', a + 1, end);
      if (close < a) close = nextOf(line, ')', a + 1, end);
      if (quote < a) quote = nextOf(line, '"', a + 1, end);
    }
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Latency of a `-T` suffix ` <S.FFFFFF>` ending at `end` (exclusive), in
 * integer nanoseconds from the printed digits (no float rounding), read in
 * one pass from the right. Returns the index of the suffix's space, or -1
 * when there is no suffix.
 */
function latencySuffix(line: string, from: number, end: number, out: ScannedLine): number {
  let i = end - 2;
  if (i - from < 4 || line.charCodeAt(end - 1) !== GT) return -1;
  let fraction = 0;
  let digits = 0;
  let c = line.charCodeAt(i);
  while (isDigit(c) && i > from) {
    fraction += (c - 48) * (POW10[digits] ?? 10 ** digits);
    digits++;
    c = line.charCodeAt(--i);
  }
  // More than 15 digits would not add up exactly; strace prints 6 (or 9 with precision:ns).
  if (c !== DOT || digits === 0 || digits > 15) return -1;
  c = line.charCodeAt(--i);
  let seconds = 0;
  let intDigits = 0;
  // Up to 999999 s, so that latency_ns stays a safe integer.
  while (isDigit(c) && i > from && intDigits < 6) {
    seconds += (c - 48) * (POW10[intDigits] ?? 10 ** intDigits);
    intDigits++;
    c = line.charCodeAt(--i);
  }
  if (c !== LT || intDigits === 0 || line.charCodeAt(i - 1) !== SPACE) return -1;
  // Digits beyond nanoseconds are truncated, as strace itself truncates.
  const fractionNs = digits <= 9 ? fraction * (POW10[9 - digits] as number) : Math.floor(fraction / 10 ** (digits - 9));
  out.latencyNs = seconds * 1_000_000_000 + fractionNs;
  return i - 1;
}

/** Is line[start, end) a return value strace prints: `?`, `-?digits`, `0xhex`? */
function isReturnValue(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len <= 0) return false;
  const c0 = line.charCodeAt(start);
  if (c0 === QMARK) return len === 1;
  if (len > 2 && c0 === 48 && line.charCodeAt(start + 1) === 120) {
    for (let i = start + 2; i < end; i++) if (!isHexDigit(line.charCodeAt(i))) return false;
    return true;
  }
  let i = c0 === MINUS ? start + 1 : start;
  if (i === end) return false;
  for (; i < end; i++) if (!isDigit(line.charCodeAt(i))) return false;
  return true;
}

/**
 * Reads ` = RET[<decoration>][ ERRNO (text)][ (extra)]` from `from` (just
 * after the closing paren) to `end` (the latency suffix already cut off).
 * Fills ret/retPath/error; false when the text is not a result.
 */
function readResult(line: string, from: number, end: number, out: ScannedLine): boolean {
  let i = skipSpaces(line, from, end);
  if (i === from && from < end) {
    // strace always puts at least one space between `)` and `=`.
    return false;
  }
  if (i + 2 > end || line.charCodeAt(i) !== EQ || line.charCodeAt(i + 1) !== SPACE) return false;
  i += 2;
  const retStart = i;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === LT) break;
    i++;
  }
  if (!isReturnValue(line, retStart, i)) return false;
  out.ret = line.slice(retStart, i);
  out.retPath = '';
  out.error = '';
  if (i < end && line.charCodeAt(i) === LT) {
    const close = closingAngle(line, i, end);
    if (close === -1) return false;
    out.retPath = line.slice(i + 1, close);
    i = close + 1;
  }
  if (i === end) return true;
  if (line.charCodeAt(i) !== SPACE || i + 1 >= end) return false;
  i++;
  const c = line.charCodeAt(i);
  if (c === 69 /* E */) {
    const errStart = i;
    while (i < end && isUpperWordChar(line.charCodeAt(i))) i++;
    if (i === end || line.charCodeAt(i) === SPACE) {
      // Only a failed call carries an errno: `-1 ENOENT`, `? ERESTARTSYS`.
      const r = out.ret;
      if (r === '-1' || r === '?') out.error = line.slice(errStart, i);
      return true;
    }
    return false;
  }
  // Decoded value or note: `(Timeout)`, `(flags FD_CLOEXEC)`, `<unavailable>`.
  return c === LPAREN || c === LT;
}

/**
 * Reads a finished call — its arguments and result, the text after `name(`,
 * as a string of its own — forward scan first, then `) = ` candidates from
 * the right (for brackets the forward scan could not balance, e.g. in a
 * decoration it did not recognise). Sets args and the result fields; false
 * when no candidate reads as a result.
 */
function readCall(call: string, out: ScannedLine): boolean {
  out.latencyNs = 0;
  const resultEnd = latencySuffix(call, 0, call.length, out);
  const end = resultEnd === -1 ? call.length : resultEnd;
  const close = findArgsEnd(call, 0, end);
  if (close >= 0 && readResult(call, close + 1, end, out)) {
    out.args = call.slice(0, close);
    return true;
  }
  // strace always closes its strings: an open one means a cut or corrupted line, not something to salvage.
  if (close === -2) return false;
  // Fallback: the rightmost `)  = ` whose tail is a well-formed result.
  let at = call.lastIndexOf(' = ', end);
  while (at > 0) {
    let p = at;
    while (p > 0 && call.charCodeAt(p - 1) === SPACE) p--;
    if (p > 0 && call.charCodeAt(p - 1) === RPAREN && readResult(call, p, end, out)) {
      out.args = call.slice(0, p - 1);
      return true;
    }
    at = call.lastIndexOf(' = ', at - 1);
  }
  return false;
}

function invalid(out: ScannedLine, reason: string): void {
  out.kind = 'invalid';
  out.text = reason;
}

function readInt(line: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + (line.charCodeAt(i) - 48);
  return n;
}

/** Scans one line (without its newline) into `out`. */
export function scanStraceLine(line: string, out: ScannedLine): void {
  scanStraceRange(line, 0, line.length, out);
}

/**
 * Scans the line at text[lineStart, lineEnd) (without its newline) into
 * `out`, as scanStraceLine would that line on its own: no character past it
 * is read but the one at lineEnd (its line end, which matches nothing the
 * scanner looks for). Positions in `out` are in `text`. The lines of a block
 * are scanned in place this way, without a string for each; only the call
 * (arguments and result) gets one, so that indexOf — which has no end — never
 * runs past its line into the rest of the block.
 */
export function scanStraceRange(text: string, lineStart: number, lineEnd: number, out: ScannedLine): void {
  out.pid = -1;
  out.stampKind = 'none';
  out.retPath = '';
  let i = skipSpaces(text, lineStart, lineEnd);
  if (i === lineEnd) {
    out.kind = 'blank';
    return;
  }

  // Prefix: `[pid N] ` or `N ` (digits then a space; a stamp has `:` or `.` after its digits).
  let c = text.charCodeAt(i);
  if (c === LBRACKET && text.startsWith('[pid', i)) {
    let j = skipSpaces(text, i + 4, lineEnd);
    const start = j;
    while (j < lineEnd && isDigit(text.charCodeAt(j))) j++;
    if (j === start || j - start > 10 || text.charCodeAt(j) !== RBRACKET) return invalid(out, 'malformed [pid N] prefix');
    out.pid = readInt(text, start, j);
    i = skipSpaces(text, j + 1, lineEnd);
  } else if (isDigit(c)) {
    let j = i;
    while (j < lineEnd && isDigit(text.charCodeAt(j))) j++;
    if (j < lineEnd && text.charCodeAt(j) === SPACE && j - i <= 10) {
      out.pid = readInt(text, i, j);
      i = skipSpaces(text, j, lineEnd);
    }
  }

  // Time stamp.
  c = text.charCodeAt(i);
  if (isDigit(c)) {
    const start = i;
    while (i < lineEnd && isDigit(text.charCodeAt(i))) i++;
    const sep = text.charCodeAt(i);
    if (sep === COLON) {
      // HH:MM:SS[.f+]
      if (
        i - start !== 2 ||
        i + 6 > lineEnd ||
        !isDigit(text.charCodeAt(i + 1)) ||
        !isDigit(text.charCodeAt(i + 2)) ||
        text.charCodeAt(i + 3) !== COLON ||
        !isDigit(text.charCodeAt(i + 4)) ||
        !isDigit(text.charCodeAt(i + 5))
      ) {
        return invalid(out, 'malformed time stamp');
      }
      i += 6;
      if (text.charCodeAt(i) === DOT) {
        i++;
        const f = i;
        while (i < lineEnd && isDigit(text.charCodeAt(i))) i++;
        if (i === f) return invalid(out, 'malformed time stamp');
      }
      out.stampKind = 'clock';
    } else if (sep === DOT) {
      i++;
      const f = i;
      while (i < lineEnd && isDigit(text.charCodeAt(i))) i++;
      if (i === f) return invalid(out, 'malformed time stamp');
      out.stampKind = 'seconds';
    } else {
      return invalid(out, 'not a strace line');
    }
    if (i >= lineEnd || text.charCodeAt(i) !== SPACE) return invalid(out, 'nothing after the time stamp');
    out.stampStart = start;
    out.stampEnd = i;
    i = skipSpaces(text, i, lineEnd);
    c = text.charCodeAt(i);
  }

  // -i (`[00007f…] `) and -n (`[  0] `) columns.
  if (c === LBRACKET) {
    let j = i + 1;
    while (j < lineEnd && (isHexDigit(text.charCodeAt(j)) || text.charCodeAt(j) === SPACE || text.charCodeAt(j) === 120)) j++;
    if (j < lineEnd && text.charCodeAt(j) === RBRACKET && text.charCodeAt(j + 1) === SPACE) {
      i = skipSpaces(text, j + 1, lineEnd);
      c = text.charCodeAt(i);
    }
  }

  // A syscall: name(…
  if (isWordChar(c)) {
    let j = i;
    while (j < lineEnd && isWordChar(text.charCodeAt(j))) j++;
    if (j < lineEnd && text.charCodeAt(j) === LPAREN) {
      out.name = text.slice(i, j);
      const argsStart = j + 1;
      // `...>` ends an unfinished line; test that char first, startsWith is a call.
      // The call (arguments and result) as a string of its own: native searches in it stop at the line's end.
      const call = text.slice(argsStart, lineEnd);
      if (text.charCodeAt(lineEnd - 2) === DOT && lineEnd - UNFINISHED.length >= lineStart && text.startsWith(UNFINISHED, lineEnd - UNFINISHED.length)) {
        let headEnd = call.length - UNFINISHED.length;
        if (headEnd > 0 && call.charCodeAt(headEnd - 1) === SPACE) headEnd--;
        if (headEnd < 0) headEnd = 0;
        if (findArgsEnd(call, 0, headEnd) === -1) {
          out.kind = 'unfinished';
          out.args = call.slice(0, headEnd);
          return;
        }
      }
      if (readCall(call, out)) {
        out.kind = 'syscall';
        return;
      }
      return invalid(out, `no result found for ${out.name}()`);
    }
    if (c === 115 /* s */ && text.startsWith('strace: ', i)) return scanStraceMessage(text, i + 8, lineEnd, out);
    return invalid(out, 'not a strace line');
  }

  if (c === LT && text.startsWith('<... ', i)) {
    const nameStart = i + 5;
    let j = nameStart;
    while (j < lineEnd && isWordChar(text.charCodeAt(j))) j++;
    if (j === nameStart || !text.startsWith(' resumed>', j)) return invalid(out, 'malformed <... resumed> line');
    out.name = text.slice(nameStart, j);
    let argsStart = j + 9;
    // strace < 5 marked a call cut short by an exit this way: `<... futex resumed> <unfinished ...>) = ?`.
    if (text.startsWith(' ' + UNFINISHED, argsStart)) argsStart += UNFINISHED.length + 1;
    const call = text.slice(argsStart, lineEnd);
    if (readCall(call, out)) {
      out.kind = 'resumed';
      return;
    }
    return invalid(out, `no result found for resumed ${out.name}()`);
  }

  if (c === MINUS && text.startsWith('--- ', i)) {
    let bodyEnd = lineEnd;
    if (lineEnd - 4 >= lineStart && text.startsWith(' ---', lineEnd - 4)) bodyEnd = lineEnd - 4;
    const nameStart = i + 4;
    let j = nameStart;
    while (j < bodyEnd && text.charCodeAt(j) !== SPACE) j++;
    out.kind = 'signal';
    out.text = text.slice(nameStart, j);
    out.detail = j < bodyEnd ? text.slice(j + 1, bodyEnd) : '';
    return;
  }

  if (c === 43 /* + */ && text.startsWith('+++ ', i)) {
    let bodyEnd = lineEnd;
    if (lineEnd - 4 >= lineStart && text.startsWith(' +++', lineEnd - 4)) bodyEnd = lineEnd - 4;
    const what = text.slice(i + 4, bodyEnd);
    out.kind = 'exit';
    const space = what.indexOf(' ');
    out.text = space === -1 ? what : what.slice(0, space);
    out.detail = space === -1 ? '' : what.slice(space + 1);
    return;
  }

  if (c === GT && text.charCodeAt(i + 1) === SPACE) {
    out.kind = 'info'; // a -k stack frame
    return;
  }

  if (c === 37 /* % */ && text.startsWith('% time', i)) {
    out.kind = 'summary';
    return;
  }

  return invalid(out, 'not a strace line');
}

/** `strace: Process N attached`, `strace: Process N detached`, anything else strace says. */
function scanStraceMessage(line: string, i: number, end: number, out: ScannedLine): void {
  out.kind = 'info';
  if (!line.startsWith('Process ', i)) return;
  let j = i + 8;
  const start = j;
  while (j < end && isDigit(line.charCodeAt(j))) j++;
  if (j === start) return;
  const pid = readInt(line, start, j);
  if (line.startsWith(' attached', j)) {
    out.kind = 'attached';
    out.otherPid = pid;
  } else if (line.startsWith(' detached', j)) {
    out.kind = 'detached';
    out.otherPid = pid;
  }
}
