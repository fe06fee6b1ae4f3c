/**
 * The strace command line for a capture. Flags are chosen for faithful,
 * cheap parsing: absolute `-ttt` stamps, `-T` latency, `-q` (no attach /
 * detach chatter), a string limit, output to a dedicated file (our FIFO) so
 * it never mixes with the traced program's stderr.
 */
import type { CaptureOptions } from './types.js';
import { resolveSyscallSelection, type SyscallSelection } from './selection.js';

/** The default for `-s/--string-limit`: enough for most paths and short payloads, still bounded. */
export const DEFAULT_STRING_LIMIT = 256;

/** strace's `-e trace=` value for a selection (`?` = no error when absent on this architecture). */
export function traceExpression(selection: SyscallSelection): string {
  const names = selection.names.map(({ name, optional }) => (optional ? `?${name}` : name)).join(',');
  return `trace=${selection.mode === 'except' ? '!' : ''}${names}`;
}

/**
 * strace's arguments (without the program name) writing the trace to
 * `outputPath`. Throws an Error with a usage message for an empty selection.
 */
export function buildStraceArgs(options: CaptureOptions, outputPath: string): string[] {
  const args = ['-o', outputPath, '-ttt', '-T', '-q', '-s', String(options.stringLimit)];
  if (options.follow) args.push('-f');
  const selection = resolveSyscallSelection(options);
  if (selection !== undefined) {
    args.push('-e', traceExpression(selection));
    // A seccomp filter stops only at selected calls (~400× → ~1.2× slowdown); strace
    // supports it only for a command it starts, and only together with -f.
    if (options.command !== undefined && options.follow) args.push('--seccomp-bpf');
  }
  if (options.errorsOnly) args.push('-Z');
  if (options.command !== undefined) {
    args.push('--', ...options.command);
  } else {
    for (const pid of options.pids) args.push('-p', String(pid));
  }
  return args;
}
