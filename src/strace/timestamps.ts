/**
 * strace time stamps → ISO 8601 UTC with exactly six fractional digits.
 *
 * - `-ttt` (`1795812788.302184`): seconds since the epoch, exact.
 * - `-t` / `-tt` (`20:53:09`, `20:53:07.835814`): time of day; the date comes
 *   from the `date` option. When the clock goes back by more than 12 hours the
 *   trace crossed midnight and the date moves on by a day.
 * - `-r` (`0.000614`): the time since the previous line; accumulated from
 *   `start` in integer microseconds.
 * - no stamp: every line gets `start` (default: `date` at 00:00:00Z). There is
 *   no time in the text, and inventing one per line would be fake data.
 *
 * `-r` and `-ttt` look alike (`N.NNNNNN`); a value of 10^8 s or more (1973 as
 * an epoch time, three years as a delta) is read as `-ttt`.
 * More than six fractional digits (`--timestamps=precision:ns`) are truncated.
 */

import type { StampKind } from './line.js';

const ABSOLUTE_SECONDS = 100_000_000;
const HALF_DAY = 12 * 3600;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_PATTERN = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses `YYYY-MM-DD` to days since the epoch; throws RangeError when it is not a real date. */
export function parseDate(date: string): number {
  const m = DATE_PATTERN.exec(date);
  if (m === null) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return ms / 86_400_000;
}

/**
 * Parses an ISO 8601 date-time (or a bare date) to microseconds since the
 * epoch, keeping up to microsecond precision. No offset means UTC.
 */
export function parseInstant(text: string): number {
  const m = ISO_PATTERN.exec(text.trim());
  if (m === null) throw new RangeError(`not an ISO 8601 time: ${text}`);
  const [, day, hh = '00', mm = '00', ss = '00', fraction = '', zone = 'Z'] = m;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  parseDate(day as string);
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) throw new RangeError(`not an ISO 8601 time: ${text}`);
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${offset}`);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO 8601 time: ${text}`);
  const micros = Number((fraction + '000000').slice(0, 6));
  return ms * 1000 + micros;
}

/** `YYYY-MM-DDTHH:MM:SS.` for a whole second since the epoch. */
function secondPrefix(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 20);
}

/** The whole seconds of a `N.ffffff` stamp: the digits of line[start, dot) (the scanner checked them). */
function wholeSeconds(line: string, start: number, dot: number): number {
  let whole = 0;
  for (let i = start; i < dot; i++) whole = whole * 10 + (line.charCodeAt(i) - 48);
  return whole;
}

/** The first six digits after the dot (zeros added), in microseconds; digits beyond are cut, as strace cuts. */
function fractionMicros(line: string, fracStart: number, end: number): number {
  let micros = 0;
  for (let k = 0; k < 6; k++) {
    const at = fracStart + k;
    micros = micros * 10 + (at < end ? line.charCodeAt(at) - 48 : 0);
  }
  return micros;
}

let writtenSecond = Number.NaN;
const writtenPrefix = new Uint8Array(20);

/** Writes the ISO time of `micros` (since the epoch) as the 27 ASCII bytes at bytes[at…], as TraceClock formats it. */
export function writeIsoTime(micros: number, bytes: Uint8Array, at: number): void {
  const second = Math.floor(micros / 1_000_000);
  if (second !== writtenSecond) {
    writtenSecond = second;
    const prefix = secondPrefix(second);
    for (let i = 0; i < 20; i++) writtenPrefix[i] = prefix.charCodeAt(i);
  }
  bytes.set(writtenPrefix, at);
  // Integer arithmetic on the six digits: micros itself is beyond 32 bits.
  let fraction = (micros - second * 1_000_000) | 0;
  for (let i = at + 25; i >= at + 20; i--) {
    const rest = (fraction / 10) | 0;
    bytes[i] = 48 + fraction - rest * 10;
    fraction = rest;
  }
  bytes[at + 26] = 90; // Z
}

function sixDigits(n: number): string {
  const s = String(n);
  return s.length >= 6 ? s : '000000'.slice(s.length) + s;
}

export interface TraceClockOptions {
  /** YYYY-MM-DD for -t/-tt stamps (default 1970-01-01). */
  date?: string;
  /** ISO 8601 base for -r stamps and stamp-less traces (default: `date` at 00:00:00Z). */
  start?: string;
}

/** Turns the stamps of one trace, line after line, into ISO strings. Stateful (-r sums, midnight). */
export class TraceClock {
  private readonly baseDay: number;
  private dayOffset = 0;
  private lastSecondOfDay = -1;
  private datePrefix: string;
  private readonly startMicros: number;
  private relativeSum = 0;
  private cachedSecond = Number.NaN;
  private cachedPrefix = '';
  /** The ISO form of `start`, for lines without a stamp. */
  readonly startIso: string;

  constructor(options: TraceClockOptions = {}) {
    const date = options.date ?? '1970-01-01';
    this.baseDay = parseDate(date);
    this.datePrefix = date + 'T';
    this.startMicros = options.start === undefined ? this.baseDay * 86_400_000_000 : parseInstant(options.start);
    this.startIso = this.format(this.startMicros);
  }

  /** ISO time of a stamp found at line[start, end) by the scanner. */
  read(line: string, kind: StampKind, start: number, end: number): string {
    if (kind === 'clock') return this.clock(line, start, end);
    if (kind === 'seconds') return this.seconds(line, start, end);
    return this.startIso;
  }

  private clock(line: string, start: number, end: number): string {
    this.advanceDay(TraceClock.secondOfDay(line, start));
    const digits = end - start - 9; // fractional digits after `HH:MM:SS.`
    if (digits === 6) return this.datePrefix + line.slice(start, end) + 'Z';
    if (digits < 0) return this.datePrefix + line.slice(start, end) + '.000000Z';
    if (digits > 6) return this.datePrefix + line.slice(start, start + 15) + 'Z';
    return this.datePrefix + line.slice(start, end) + '000000'.slice(digits) + 'Z';
  }

  /** The second of the day of a `HH:MM:SS` stamp starting at `start`. */
  static secondOfDay(line: string, start: number): number {
    return (
      ((line.charCodeAt(start) - 48) * 10 + line.charCodeAt(start + 1) - 48) * 3600 +
      ((line.charCodeAt(start + 3) - 48) * 10 + line.charCodeAt(start + 4) - 48) * 60 +
      (line.charCodeAt(start + 6) - 48) * 10 +
      line.charCodeAt(start + 7) -
      48
    );
  }

  /** Takes the next -t/-tt stamp's second of the day: the date moves on when the clock went back across midnight. */
  advanceDay(secondOfDay: number): void {
    if (secondOfDay < this.lastSecondOfDay - HALF_DAY) {
      this.dayOffset++;
      this.datePrefix = new Date((this.baseDay + this.dayOffset) * 86_400_000).toISOString().slice(0, 11);
    }
    this.lastSecondOfDay = secondOfDay;
  }

  /** `YYYY-MM-DDT` of `day` midnights after `date`: the first 11 of the 27 characters of every ISO time here. */
  dayPrefix(day: number): string {
    return day === this.dayOffset ? this.datePrefix : new Date((this.baseDay + day) * 86_400_000).toISOString().slice(0, 11);
  }

  private seconds(line: string, start: number, end: number): string {
    const dot = line.indexOf('.', start);
    const whole = wholeSeconds(line, start, dot);
    const fracStart = dot + 1;
    if (whole < ABSOLUTE_SECONDS) return this.addRelative(whole * 1_000_000 + fractionMicros(line, fracStart, end));
    if (whole !== this.cachedSecond) {
      this.cachedSecond = whole;
      this.cachedPrefix = secondPrefix(whole);
    }
    // The common -ttt case: the six printed digits are the microseconds as they are.
    if (end - fracStart === 6) return this.cachedPrefix + line.slice(fracStart, end) + 'Z';
    return this.cachedPrefix + sixDigits(fractionMicros(line, fracStart, end)) + 'Z';
  }

  /**
   * A `N.ffffff` stamp at line[start, end) read as -r: its microseconds, or
   * -1 when it reads as -ttt (10^8 s or more).
   */
  static relativeMicros(line: string, start: number, end: number): number {
    const dot = line.indexOf('.', start);
    const whole = wholeSeconds(line, start, dot);
    return whole >= ABSOLUTE_SECONDS ? -1 : whole * 1_000_000 + fractionMicros(line, dot + 1, end);
  }

  /** Adds the next -r delta (microseconds) and returns the time it makes. */
  private addRelative(micros: number): string {
    return this.format(this.addRelativeMicros(micros));
  }

  /** Adds the next -r delta (microseconds) and returns the time it makes, in microseconds since the epoch. */
  addRelativeMicros(micros: number): number {
    this.relativeSum += micros;
    return this.startMicros + this.relativeSum;
  }

  /** Midnights the -t/-tt stamps have crossed so far (0: still on `date`). */
  get day(): number {
    return this.dayOffset;
  }

  private format(micros: number): string {
    const second = Math.floor(micros / 1_000_000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedPrefix = secondPrefix(second);
    }
    return this.cachedPrefix + sixDigits(micros - second * 1_000_000) + 'Z';
  }
}
