/**
 * strace's own messages (`strace: …` on its stderr): telling them apart
 * from the traced program's stderr, which shares that descriptor, and
 * classifying them into the error catalog.
 */

export type StraceMessage =
  | { kind: 'no-such-process'; pid: number; text: string }
  | { kind: 'ptrace-denied'; pid?: number; text: string }
  | { kind: 'command-not-found'; command: string; text: string }
  | { kind: 'exec-failed'; exit: number; text: string }
  | { kind: 'invalid-syscall'; name: string; text: string }
  /** Chatter with no consequence (attach/detach notes, strace's own ptrace_scope advice). */
  | { kind: 'info'; text: string }
  | { kind: 'other'; text: string };

const PREFIX = 'strace: ';

/** Classifies one message line (with or without the `strace: ` prefix). */
export function classifyStraceMessage(line: string): StraceMessage {
  const text = line.startsWith(PREFIX) ? line.slice(PREFIX.length) : line;
  let match = /^attach: ptrace\(PTRACE_(?:SEIZE|ATTACH), (\d+)\): (.*)$/.exec(text);
  if (match) {
    const pid = Number(match[1]);
    if (/No such process/.test(match[2]!)) return { kind: 'no-such-process', pid, text };
    if (/Operation not permitted|Permission denied/.test(match[2]!)) return { kind: 'ptrace-denied', pid, text };
    return { kind: 'other', text };
  }
  if (/ptrace\(.*\): (Operation not permitted|Permission denied)/.test(text)) return { kind: 'ptrace-denied', text };
  if ((match = /^Can't stat '(.*)': /.exec(text))) return { kind: 'command-not-found', command: match[1]!, text };
  if ((match = /^exec: (.*)$/.exec(text))) return { kind: 'exec-failed', exit: /No such file/.test(match[1]!) ? 127 : 126, text };
  if ((match = /^invalid system call '(.*)'$/.exec(text))) return { kind: 'invalid-syscall', name: match[1]!, text };
  if (/^Process \d+ (attached|detached)/.test(text) || /^Could not attach to process\./.test(text)) return { kind: 'info', text };
  return { kind: 'other', text };
}

/**
 * Splits strace's stderr into strace's own lines and the traced program's
 * bytes. A line is strace's when it starts with `strace: `: strace writes
 * that prefix with one write(2) (we run it with argv0 `strace`), so a pipe
 * read never splits it. Everything else is passed through as soon as it
 * arrives — partial lines included, so prompts show up — byte for byte.
 */
export class StraceStderrSplitter {
  private atLineStart = true;
  private straceLine: Buffer[] | undefined;

  constructor(
    private readonly onProgramBytes: (bytes: Buffer) => void,
    private readonly onStraceLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const program: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.straceLine !== undefined) {
        const newline = chunk.indexOf(0x0a, pos);
        if (newline === -1) {
          this.straceLine.push(chunk.subarray(pos));
          break;
        }
        this.straceLine.push(chunk.subarray(pos, newline));
        this.finishStraceLine();
        pos = newline + 1;
        this.atLineStart = true;
        continue;
      }
      if (this.atLineStart && chunk.length - pos >= PREFIX.length && chunk.toString('latin1', pos, pos + PREFIX.length) === PREFIX) {
        this.straceLine = [];
        continue;
      }
      const newline = chunk.indexOf(0x0a, pos);
      const end = newline === -1 ? chunk.length : newline + 1;
      program.push(chunk.subarray(pos, end));
      this.atLineStart = newline !== -1;
      pos = end;
    }
    if (program.length > 0) this.onProgramBytes(program.length === 1 ? program[0]! : Buffer.concat(program));
  }

  /** The stream ended: a strace line without its newline still counts. */
  end(): void {
    if (this.straceLine !== undefined) this.finishStraceLine();
  }

  private finishStraceLine(): void {
    const line = Buffer.concat(this.straceLine!).toString('utf8');
    this.straceLine = undefined;
    this.onStraceLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
