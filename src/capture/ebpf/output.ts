/**
 * Reads bpftrace's `-f json` output: one JSON document per line
 * (`{"type": "printf", "data": "…"}`, `{"type": "map", "data": {"@m": {…}}}`,
 * `{"type": "lost_events", …}`). Not `JSON.parse`, for two reasons:
 * - numbers must stay exact (64-bit registers and addresses exceed 2^53);
 * - bpftrace escapes a byte ≥ 0x80 in a string as `\uffffffXX` (a
 *   sign-extended char), which JSON.parse would misread; such strings are
 *   decoded here to the original bytes.
 */

/** A decoded value: numbers as exact decimal text, strings as the raw bytes, tuples as arrays, stats as objects. */
export type BpfValue = string | Buffer | BpfValue[] | { [key: string]: BpfValue };

export type BpftraceMessage =
  | { type: 'printf'; text: string }
  | { type: 'map'; name: string; entries: Array<[key: string, value: BpfValue]> }
  | { type: 'lost'; count: number }
  | { type: 'attached'; probes: number }
  | { type: 'other'; line: string };

const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null/y;

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`bpftrace output: ${what} at column ${this.pos + 1}`);
  }

  skip(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  expect(char: string): void {
    this.skip();
    if (this.text[this.pos] !== char) this.fail(`expected "${char}"`);
    this.pos++;
  }

  value(): BpfValue {
    this.skip();
    const c = this.text[this.pos];
    if (c === '"') return this.string();
    if (c === '[') {
      this.pos++;
      const items: BpfValue[] = [];
      this.skip();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
      for (;;) {
        items.push(this.value());
        this.skip();
        const next = this.text[this.pos++];
        if (next === ']') return items;
        if (next !== ',') this.fail('expected "," or "]"');
      }
    }
    if (c === '{') {
      const object: { [key: string]: BpfValue } = {};
      for (const [key, value] of this.members()) object[key] = value;
      return object;
    }
    SCALAR.lastIndex = this.pos;
    const match = SCALAR.exec(this.text);
    if (!match) this.fail('unexpected character');
    this.pos += match[0].length;
    return match[0];
  }

  /** The members of an object, in order. */
  members(): Array<[string, BpfValue]> {
    this.expect('{');
    const members: Array<[string, BpfValue]> = [];
    this.skip();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return members;
    }
    for (;;) {
      this.skip();
      const key = this.string().toString('latin1');
      this.expect(':');
      members.push([key, this.value()]);
      this.skip();
      const next = this.text[this.pos++];
      if (next === '}') return members;
      if (next !== ',') this.fail('expected "," or "}"');
    }
  }

  string(): Buffer {
    this.skip();
    const { text } = this;
    if (text[this.pos] !== '"') this.fail('expected a string');
    const start = ++this.pos;
    let end = start;
    let plain = true;
    while (end < text.length && text[end] !== '"') {
      if (text[end] === '\\') {
        plain = false;
        end += 2;
      } else end++;
    }
    if (end >= text.length) this.fail('unterminated string');
    this.pos = end + 1;
    return plain ? Buffer.from(text.slice(start, end), 'utf8') : unescapeBpftrace(text.slice(start, end));
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { '"': 0x22, '\\': 0x5c, '/': 0x2f, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };

/** The bytes of a bpftrace JSON string body (between the quotes). */
export function unescapeBpftrace(body: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; ) {
    const char = body[i]!;
    if (char !== '\\') {
      const code = body.codePointAt(i)!;
      if (code < 0x80) bytes.push(code);
      else for (const byte of Buffer.from(String.fromCodePoint(code), 'utf8')) bytes.push(byte);
      i += code > 0xffff ? 2 : 1;
      continue;
    }
    const kind = body[i + 1];
    if (kind === 'u') {
      // \uffffffXX: one raw byte (bpftrace formats a signed char with %04x).
      if (/^ffffff[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 10))) {
        bytes.push(parseInt(body.slice(i + 8, i + 10), 16));
        i += 10;
        continue;
      }
      const code = parseInt(body.slice(i + 2, i + 6), 16);
      if (code < 0x80) bytes.push(code);
      else for (const byte of Buffer.from(String.fromCharCode(code), 'utf8')) bytes.push(byte);
      i += 6;
      continue;
    }
    const simple = kind === undefined ? undefined : SIMPLE_ESCAPES[kind];
    bytes.push(simple ?? kind?.charCodeAt(0) ?? 0x5c);
    i += 2;
  }
  return Buffer.from(bytes);
}

const PRINTF_PREFIX = '{"type": "printf", "data": "';
const PRINTF_SUFFIX = '\\n"}';

/** Parses one line of bpftrace's JSON output. Blank lines give undefined. */
export function parseBpftraceLine(line: string): BpftraceMessage | undefined {
  if (line.trim() === '') return undefined;
  // The hot path: a printf line of numbers (calls and ticks), nothing to unescape.
  if (line.startsWith(PRINTF_PREFIX) && line.endsWith(PRINTF_SUFFIX)) {
    const kind = line.charCodeAt(PRINTF_PREFIX.length);
    if (kind === 0x45 /* E */ || kind === 0x50 /* P */) return { type: 'printf', text: line.slice(PRINTF_PREFIX.length, -PRINTF_SUFFIX.length) };
  }
  if (!line.startsWith('{')) return { type: 'other', line };
  const reader = new Reader(line);
  let type: string | undefined;
  let data: BpfValue | undefined;
  let mapMembers: Array<[string, BpfValue]> | undefined;
  reader.expect('{');
  for (;;) {
    reader.skip();
    const key = reader.string().toString('latin1');
    reader.expect(':');
    if (key === 'data' && (type === 'map' || type === 'stats' || type === 'hist')) {
      // {"@name": {entries…}} or {"@name": scalar}
      const [entry] = reader.members();
      if (entry !== undefined) {
        const [name, value] = entry;
        const entries: Array<[string, BpfValue]> =
          value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !Array.isArray(value) && !isStatsObject(value)
            ? Object.entries(value)
            : [['', value]];
        mapMembers = [[name, entries as unknown as BpfValue]];
      }
    } else if (key === 'type') {
      type = reader.string().toString('latin1');
    } else data = reader.value();
    reader.skip();
    const next = line[reader.pos++];
    if (next === '}') break;
    if (next !== ',') reader.fail('expected "," or "}"');
  }
  switch (type) {
    case 'printf':
      return { type: 'printf', text: Buffer.isBuffer(data) ? data.toString('latin1') : '' };
    case 'map':
    case 'stats':
    case 'hist': {
      if (mapMembers === undefined || mapMembers[0] === undefined) return { type: 'map', name: '', entries: [] };
      const [name, entries] = mapMembers[0];
      return { type: 'map', name: name.replace(/^@/, ''), entries: entries as unknown as Array<[string, BpfValue]> };
    }
    case 'lost_events': {
      const events = (data as { events?: BpfValue } | undefined)?.events;
      return { type: 'lost', count: typeof events === 'string' ? Number(events) : 0 };
    }
    case 'attached_probes': {
      const probes = (data as { probes?: BpfValue } | undefined)?.probes;
      return { type: 'attached', probes: typeof probes === 'string' ? Number(probes) : 0 };
    }
    default:
      return { type: 'other', line };
  }
}

function isStatsObject(value: { [key: string]: BpfValue }): boolean {
  return 'count' in value && 'total' in value;
}
