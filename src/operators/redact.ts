import { createHmac } from 'node:crypto';
import { map, type OperatorFunction } from 'rxjs';
import { isMetaRecord, type SyscallEvent, type TraceRecord } from '../event.js';

export type RedactLevel = 'low' | 'medium' | 'high';
export const REDACT_LEVELS: readonly RedactLevel[] = ['low', 'medium', 'high'];

export interface RedactOptions {
  /**
   * low: secrets, e-mails, user names, IP addresses, the directories of paths (basename kept).
   * medium: also ports, whole paths and every string's contents.
   * high: also numeric identities (uid/gid values, inode and device numbers).
   */
  level: RedactLevel;
  /** Extra patterns masked as `<redacted>` everywhere (string contents are matched decoded). */
  patterns?: readonly RegExp[];
  /** Replace values by a stable short hash (`<path:372f8b>`) instead of a bare `<path>`; secrets are never hashed. */
  hash?: boolean;
  /** HMAC key of the hashes: the same salt gives the same hash across runs and machines (default: empty). */
  salt?: string;
}

/**
 * Masks what a trace reveals about people and machines in `args`, `ret`
 * decorations (`= 3</home/al/x>`), `fd_path` and signal `info`, for sharing.
 * Every string is decoded (`\x..`, octal, `\n`) before matching, so a secret
 * printed in hex by `strace -x` is found, and a string cut by strace's
 * `"..."...` truncation is matched up to its end: a `token=abcd` prefix is
 * still masked. Names, counts and every other field are unchanged; events
 * with nothing to mask come out as the same object.
 *
 * @example
 * events$.pipe(redact({ level: 'low', hash: true }))
 * // openat(AT_FDCWD, "/home/alice/.netrc", O_RDONLY)  → args 'AT_FDCWD, "<dir:2728cb>/.netrc", O_RDONLY'
 * // write(3, "password=hunter2\n", 17)              → args '3, "password=<secret>\n", 17'
 */
export function redact(options: RedactOptions): OperatorFunction<TraceRecord, TraceRecord> {
  const redactor = new Redactor(options);
  return map((record) => redactor.record(record));
}

const ID_SYSCALLS = /^(?:set(?:res|re|fs)?[ug]id|getres[ug]id|getgroups|setgroups)(?:32)?$/;
const ID_RETURNS = /^get(?:e?[ug]id)(?:32)?$/;

/** Key names (of `key=value`, `key: value`) whose value is a secret. */
const SECRET_KEY =
  /pass(?:word|wd|phrase)?|[_.-]pwd$|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|credential|session[-_.]?id|signature|^auth$|^key$|^sig$|^cookie$|^session$/i;
const USER_KEY = /^(?:user(?:name)?|login|logname|owner|r?e?uid|reuid|suid|r?e?gid|regid|group|[a-z]*_user)$/i;
/** A command-line flag whose following argv string is a secret / a user name. */
const SECRET_FLAG = /^-{1,2}(?:pass(?:word|wd)?|token|secret|api[-_]?key|access[-_]?key|auth[-_]?token|client[-_]?secret|private[-_]?key)$/i;
const USER_FLAG = /^--?(?:user(?:name)?|login)$/i;

/** `key=value` / `key: value` / `"key": "value"`; a bare value runs until one of `stop`. */
const keyValue = (stop: string): RegExp => new RegExp(`(^|[^\\w.-])(-{0,2}[A-Za-z_][\\w.-]*)(["']?\\s*[=:]\\s*)(?:"([^"]*)"?|'([^']*)'?|([^\\s"'${stop}]*))`, 'g');
const SECRET_KEY_VALUE = keyValue('&;,');
/** User values stop at `(`: `uid=0(root)` is a number, the name is handled by ID_NAME. */
const USER_KEY_VALUE = keyValue('&;,(){}\\[\\]');
const AUTH_HEADER = /\b((?:proxy-)?authorization|x-api-key|x-auth-token|x-amz-security-token|set-cookie|cookie)(["']?\s*:\s*)(["']?)((?:bearer|basic|digest|negotiate|token|aws4-hmac-sha256)\s+)?([^\r\n"']*)/gi;
const BEARER = /\b(Bearer\s+)(?!<)[^\s"',;]+/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@<>"']+)(?::([^\s/@<>"']*))?@/gi;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const TOKEN_SHAPES = [
  /\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){0,2}/g, // JWT (base64url of '{"')
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g, // AWS access key id
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}/g,
];
/** The same shapes cut short by truncation: only at the very end of a truncated string. */
const TRUNCATED_TOKEN =
  /(?:\beyJ[A-Za-z0-9_.-]*|\b(?:AKIA|ASIA)[A-Z0-9]*|\bgh[pousr]_[A-Za-z0-9]*|\bgithub_pat_\w*|\bxox[abposr]-[A-Za-z0-9-]*|\bAIza[0-9A-Za-z_-]*|\b[sr]k_(?:live|test)_[0-9A-Za-z]*|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*)$/;
/** A 40-character base64 run: the shape of an AWS secret access key. */
const AWS_SECRET = /(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;
const TRAILING_TOKEN = /[A-Za-z0-9+/=_-]{16,}$/;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const TRUNCATED_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]*$/;
const HOME_DIR = /(\/(?:home|Users|var\/mail|var\/spool\/mail)\/)(?!<)([^/\s"'<>:]+)/g;
/** `HOME=/home/al`: an environment assignment whose value is a path (low keeps the name). */
const ENV_PATH = /^([A-Za-z_][A-Za-z0-9_]*)=(\/[^:\s]*)$/;
const ID_OUTPUT = /\b(?:e?[ug]id|groups)=\d+\(/;
const ID_NAME = /(\d+)\((?!<)([^()\s]*)(\)|$)/g;
const PASSWD_LINE = /^[A-Za-z_][\w.-]*\$?:[^:\n]*:\d+:/;
const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)/g;
const H = '[0-9a-fA-F]{1,4}';
const IPV6 = new RegExp(
  `(?<![\\w:.])(?:(?:${H}:){7}${H}|(?:${H}:){1,7}:|(?:${H}:){1,6}:${H}|(?:${H}:){1,5}(?::${H}){1,2}|(?:${H}:){1,4}(?::${H}){1,3}|(?:${H}:){1,3}(?::${H}){1,4}|(?:${H}:){1,2}(?::${H}){1,5}|${H}:(?::${H}){1,6}|:(?::${H}){1,7})(?:%[\\w.]+)?(?![\\w:])`,
  'g',
);
const IP_PORT = /(<ip(?::[0-9a-f]{6})?>\]?):(\d{1,5})\b/g;
const HTONS = /\b(htons\()(\d+)(\))/g;
const ID_FIELD = /\b((?:st_|si_)?(?:[rsef]?[ug]id|fs[ug]id|ino|inode|dev|rdev))=(makedev\([^)]*\)|\d+)/g;
const BARE_NUMBER = /(?<![\w<:-])\d+\b/g;

/** The redaction rules, with a cache of computed hashes. Stateless apart from the cache. */
export class Redactor {
  private readonly medium: boolean;
  private readonly high: boolean;
  private readonly patterns: RegExp[];
  private readonly hash: boolean;
  private readonly salt: string;
  private readonly hashes = new Map<string, string>();

  constructor(options: RedactOptions) {
    this.medium = options.level !== 'low';
    this.high = options.level === 'high';
    this.patterns = (options.patterns ?? []).map((pattern) => new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'));
    this.hash = options.hash === true;
    this.salt = options.salt ?? '';
  }

  /** One record: events and signal records are redacted, other meta records pass through. */
  record(record: TraceRecord): TraceRecord {
    if (isMetaRecord(record)) {
      if (record.type !== 'signal' || typeof record.info !== 'string') return record;
      const info = this.args(record.info);
      return info === record.info ? record : { ...record, info };
    }
    return this.event(record);
  }

  event(event: SyscallEvent): SyscallEvent {
    const args = this.args(event.args, event.name);
    const ret = this.high && ID_RETURNS.test(event.name) && /^\d+$/.test(event.ret) ? this.mark('id', event.ret) : this.args(event.ret);
    const fdPath = typeof event.fd_path === 'string' ? this.decoration(event.fd_path) : undefined;
    const retPath = typeof event.ret_path === 'string' ? this.decoration(event.ret_path) : undefined;
    if (args === event.args && ret === event.ret && fdPath === event.fd_path && retPath === event.ret_path) return event;
    const out: SyscallEvent = { ...event, args, ret };
    if (fdPath !== undefined) out.fd_path = fdPath;
    if (retPath !== undefined) out.ret_path = retPath;
    return out;
  }

  /** Redacts an argument list as strace prints it (strings, `-y` decorations, plain text). */
  args(text: string, syscall = ''): string {
    let out = '';
    let plainStart = 0;
    let previousString: string | undefined;
    let i = 0;
    while (i < text.length) {
      const char = text[i];
      if (char === '"') {
        const between = text.slice(plainStart, i);
        out += this.plain(between, syscall);
        if (!/^,\s*$/.test(between)) previousString = undefined;
        let end = i + 1;
        while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
        const closed = end < text.length;
        const raw = text.slice(i + 1, Math.min(end, text.length));
        const after = closed ? end + 1 : text.length;
        const decoded = decodeCString(raw);
        out += '"' + this.quoted(raw, decoded, text.startsWith('...', after), previousString) + (closed ? '"' : '');
        previousString = decoded;
        i = plainStart = after;
      } else if (char === '<' && i > 0 && /\w/.test(text[i - 1]!)) {
        const end = decorationEnd(text, i);
        if (end === -1) {
          i++;
          continue;
        }
        out += this.plain(text.slice(plainStart, i), syscall) + '<' + this.decoration(text.slice(i + 1, end)) + '>';
        previousString = undefined;
        i = plainStart = end + 1;
      } else {
        i++;
      }
    }
    return out + this.plain(text.slice(plainStart), syscall);
  }

  /** The contents of a `-y`/`-yy` decoration or an `fd_path` field: a path, or a socket/pipe description. */
  decoration(content: string): string {
    if (content.startsWith('/')) {
      const nested = content.indexOf('<');
      const path = nested === -1 ? content : content.slice(0, nested);
      return this.path(path) + (nested === -1 ? '' : content.slice(nested));
    }
    // Sockets: `TCP:[127.0.0.1:33421->127.0.0.1:52136]`, `UNIX-STREAM:[42724->42725,"/run/x"]`, `socket:[42862]`.
    let text = this.args(content);
    text = this.addresses(text);
    if (this.high) text = text.replace(BARE_NUMBER, (number) => this.mark('id', number));
    return text;
  }

  /** A path (decoration, fd_path or a path-like string): low keeps the basename, medium+ masks it whole. */
  path(path: string): string {
    const masked = this.inner(path, false);
    if (this.medium) return this.mark('path', masked);
    const slash = masked.lastIndexOf('/');
    if (slash === -1) return masked;
    const dir = masked.slice(0, slash);
    if (dir === '' || dir === '.' || dir === '..' || dir === '~') return masked;
    return this.mark('dir', dir) + masked.slice(slash);
  }

  /** Text outside strings and decorations: ports, numeric identities, IPs, custom patterns. */
  private plain(text: string, syscall: string): string {
    if (text === '') return text;
    let out = this.custom(text);
    out = out.replace(IPV4, (ip) => this.mark('ip', ip));
    if (this.medium) out = out.replace(HTONS, (_all, open: string, port: string, close: string) => open + this.mark('port', port) + close);
    if (this.high) {
      out = out.replace(ID_FIELD, (_all, key: string, value: string) => `${key}=${this.mark('id', value)}`);
      if (ID_SYSCALLS.test(syscall)) out = out.replace(BARE_NUMBER, (number) => this.mark('id', number));
    }
    return out;
  }

  /** One quoted string: `raw` as printed (escapes intact), returned in the same printed form. */
  private quoted(raw: string, decoded: string, truncated: boolean, previous: string | undefined): string {
    if (decoded === '') return raw;
    let result: string;
    if (previous !== undefined && SECRET_FLAG.test(previous)) result = this.mark('secret', decoded);
    else if (previous !== undefined && USER_FLAG.test(previous)) result = this.userValue(decoded);
    else {
      const masked = this.inner(decoded, truncated);
      const assignment = ENV_PATH.exec(decoded);
      if (!this.medium && assignment !== null && !SECRET_KEY.test(assignment[1]!)) result = `${assignment[1]}=${this.path(assignment[2]!)}`;
      else if (!this.medium) result = isPathLike(masked) ? this.path(decoded) : masked;
      else if (isIpAddress(decoded)) result = this.mark('ip', decoded);
      else if (isPathLike(masked)) result = this.mark('path', masked);
      else result = this.mark('str', masked);
    }
    return result === decoded ? raw : encodeCString(result);
  }

  /** `user` or `user:password` (curl -u). */
  private userValue(value: string): string {
    const colon = value.indexOf(':');
    return colon === -1 ? this.mark('user', value) : `${this.mark('user', value.slice(0, colon))}:${this.mark('secret', value.slice(colon + 1))}`;
  }

  /**
   * Masks what can hide inside any text: custom patterns, secrets, user
   * names, e-mails and IP addresses (ports too at medium+). `truncated`: the
   * text was cut by strace, so its tail may be the start of a secret.
   */
  private inner(text: string, truncated: boolean): string {
    let out = this.custom(text);
    out = this.secrets(out, truncated);
    out = this.users(out, truncated);
    out = out.replace(EMAIL, (email) => this.mark('email', email));
    if (truncated) out = out.replace(TRUNCATED_EMAIL, (email) => this.mark('email', email));
    return this.addresses(out);
  }

  /**
   * Masks the value of each `key=value` / `key: value` pair whose key passes
   * `test`. A pair that does not pass is not consumed, so `https://h/?api_key=x`
   * (a `https:` "pair") still reaches `api_key=x`.
   */
  private keyValues(text: string, kind: 'secret' | 'user', test: (key: string, separator: string, value: string) => boolean): string {
    const pattern = kind === 'secret' ? SECRET_KEY_VALUE : USER_KEY_VALUE;
    pattern.lastIndex = 0;
    let out = '';
    let copied = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const [all, lead, key, separator, double, single, bare] = match as unknown as [string, string, string, string, string?, string?, string?];
      const value = double ?? single ?? bare ?? '';
      if (value === '' || value.startsWith('<') || !test(key.replace(/^-+/, ''), separator, value)) {
        pattern.lastIndex = match.index + lead.length + key.length + separator.length;
        continue;
      }
      const quote = double !== undefined ? '"' : single !== undefined ? "'" : '';
      const closed = quote !== '' && all.length === lead.length + key.length + separator.length + 2 * quote.length + value.length;
      out += text.slice(copied, match.index) + lead + key + separator + quote + this.mark(kind, value) + (closed ? quote : '');
      copied = match.index + all.length;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  private custom(text: string): string {
    let out = text;
    for (const pattern of this.patterns) out = out.replace(pattern, (match) => this.mark('redacted', match));
    return out;
  }

  private secrets(text: string, truncated: boolean): string {
    const secret = this.mark('secret', '');
    let out = text.replace(PRIVATE_KEY, secret);
    out = out.replace(AUTH_HEADER, (all, name: string, separator: string, quote: string, scheme: string | undefined, value: string) =>
      value === '' || value.startsWith('<') ? all : `${name}${separator}${quote}${scheme ?? ''}${secret}`,
    );
    out = out.replace(BEARER, (_all, bearer: string) => bearer + secret);
    out = out.replace(URL_USERINFO, (_all, scheme: string, user: string, password: string | undefined) =>
      `${scheme}${this.mark('user', user)}${password === undefined ? '' : ':' + secret}@`,
    );
    out = this.keyValues(out, 'secret', (key) => SECRET_KEY.test(key));
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, secret);
    out = out.replace(AWS_SECRET, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run) && !run.startsWith('/') ? secret : run));
    if (truncated) {
      out = out.replace(TRUNCATED_TOKEN, secret);
      // A long random-looking token cut at the end is treated as the start of a secret.
      if (!isPathLike(out)) out = out.replace(TRAILING_TOKEN, (run) => (/\d/.test(run) && /[A-Za-z]/.test(run) ? secret : run));
    }
    return out;
  }

  private users(text: string, truncated: boolean): string {
    let out = text;
    if (PASSWD_LINE.test(out) || out.includes('\n')) out = this.accountLines(out, truncated);
    out = out.replace(HOME_DIR, (_all, prefix: string, user: string) => prefix + this.mark('user', user));
    out = this.keyValues(out, 'user', (key, separator, value) => separator.includes('=') && !/^\d+$/.test(value) && USER_KEY.test(key));
    if (ID_OUTPUT.test(out)) out = out.replace(ID_NAME, (_all, id: string, name: string, close: string) => `${id}(${name === '' ? '' : this.mark('user', name)}${close}`);
    return out;
  }

  /** `/etc/passwd` and `/etc/group` lines: account names, GECOS and group members. */
  private accountLines(text: string, truncated: boolean): string {
    const lines = text.split('\n');
    let matched = false;
    const out = lines.map((line, index) => {
      if (!PASSWD_LINE.test(line)) {
        // The partial last line of a truncated account file starts with a (partial) name.
        if (matched && truncated && index === lines.length - 1 && line !== '') {
          const colon = line.indexOf(':');
          return colon === -1 ? this.mark('user', line) : this.mark('user', line.slice(0, colon)) + line.slice(colon);
        }
        return line;
      }
      matched = true;
      const fields = line.split(':');
      fields[0] = this.mark('user', fields[0]!);
      if (fields.length >= 5 && /^\d*$/.test(fields[3]!)) {
        if (fields[4] !== '') fields[4] = this.mark('user', fields[4]!);
      } else if (fields.length === 4 && fields[3] !== '') {
        fields[3] = fields[3]!.split(',').map((member) => (member === '' ? member : this.mark('user', member))).join(',');
      }
      return fields.join(':');
    });
    return matched ? out.join('\n') : text;
  }

  /** IPv4/IPv6 addresses; ports next to a masked address at medium+. */
  private addresses(text: string): string {
    let out = text.replace(IPV6, (ip) => this.mark('ip', ip));
    out = out.replace(IPV4, (ip) => this.mark('ip', ip));
    if (this.medium) out = out.replace(IP_PORT, (_all, ip: string, port: string) => `${ip}:${this.mark('port', port)}`);
    return out;
  }

  /** `<kind>` or, with hashing, `<kind:6 hex digits>`; secrets are never hashed. */
  private mark(kind: string, value: string): string {
    if (!this.hash || kind === 'secret') return `<${kind}>`;
    const key = kind + '\u0000' + value;
    let digest = this.hashes.get(key);
    if (digest === undefined) {
      digest = createHmac('sha256', this.salt).update(key).digest('hex').slice(0, 6);
      if (this.hashes.size >= 50_000) this.hashes.clear();
      this.hashes.set(key, digest);
    }
    return `<${kind}:${digest}>`;
  }
}

/** Is this string a file path (absolute, `./`, `~/`, or a slash-separated word)? */
function isPathLike(text: string): boolean {
  if (/^(?:\/|\.\.?\/|~\/)/.test(text)) return true;
  return text.includes('/') && !/[\s:=]/.test(text);
}


const IP_ONLY = new RegExp(`^(?:${IPV4.source}|${IPV6.source})$`);

function isIpAddress(text: string): boolean {
  return IP_ONLY.test(text);
}

/** Index of the `>` closing the decoration opened at `open`; `->` inside (socket pairs) does not close it. */
function decorationEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (char === '<') depth++;
    else if (char === '>' && text[i - 1] !== '-') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f', a: '\u0007', b: '\b', e: '\u001b' };

/** strace's C string escapes → text (one char per byte for `\x`/octal escapes). */
export function decodeCString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char !== '\\' || i + 1 >= raw.length) {
      out += char;
      continue;
    }
    const next = raw[i + 1]!;
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 2, i + 4)) : null;
    const octal = /^[0-7]{1,3}/.exec(raw.slice(i + 1, i + 4));
    if (hex) {
      out += String.fromCharCode(parseInt(hex[0], 16));
      i += 1 + hex[0].length;
    } else if (octal) {
      out += String.fromCharCode(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length;
    } else {
      out += ESCAPES[next] ?? next;
      i++;
    }
  }
  return out;
}

const ENCODE: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\v': '\\v', '\f': '\\f' };

/** Text → a C string body the way strace prints it (non-printable bytes as `\xNN`). */
export function encodeCString(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += ENCODE[char] ?? (code < 0x20 || (code >= 0x7f && code <= 0xff) ? `\\x${code.toString(16).padStart(2, '0')}` : char);
  }
  return out;
}
