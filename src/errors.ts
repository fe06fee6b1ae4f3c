/**
 * The error catalog: every failure stracectl reports on purpose has a code
 * here with its exit status and an optional hint. Commands throw
 * `StracectlError`; the CLI entry prints `stracectl <cmd>: <message>` and a
 * `hint:` line on stderr, never a stack trace.
 */

export const EXIT = {
  OK: 0,
  RUNTIME: 1,
  USAGE: 2,
  DATA: 65,
  INTERNAL: 70,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export interface ErrorSpec {
  exit: number;
  /** What the code means, for the docs and the catalog test. */
  summary: string;
  hint?: string;
}

export const ERROR_CATALOG = {
  USAGE: { exit: EXIT.USAGE, summary: 'the command line is not valid', hint: 'see `stracectl <command> --help`' },
  INVALID_INPUT: { exit: EXIT.DATA, summary: 'an input line is not a valid record and --strict is set', hint: 'drop --strict to skip bad lines with a warning' },
  FILE_NOT_FOUND: { exit: EXIT.RUNTIME, summary: 'an input file cannot be opened' },
  OUTPUT_FAILED: { exit: EXIT.RUNTIME, summary: 'an output file cannot be written' },
  STRACE_MISSING: { exit: EXIT.RUNTIME, summary: 'the strace binary is not on PATH', hint: 'install it: apt-get install -y strace (Debian/Ubuntu), dnf install strace (Fedora)' },
  BPFTRACE_MISSING: { exit: EXIT.RUNTIME, summary: 'the bpftrace binary is not on PATH', hint: 'install it: apt-get install -y bpftrace, or use --backend strace' },
  EBPF_UNAVAILABLE: { exit: EXIT.RUNTIME, summary: 'the eBPF backend cannot run here', hint: 'run as root (or with CAP_BPF and CAP_PERFMON), or use --backend strace' },
  NO_SUCH_PROCESS: { exit: EXIT.RUNTIME, summary: 'the PID to attach to does not exist' },
  PTRACE_DENIED: { exit: EXIT.RUNTIME, summary: 'the kernel refused to let strace attach', hint: 'check kernel.yama.ptrace_scope (sysctl), CAP_SYS_PTRACE, the container seccomp profile, or another tracer already attached' },
  COMMAND_NOT_FOUND: { exit: 127, summary: 'the command to trace cannot be executed' },
  TRACER_FAILED: { exit: EXIT.RUNTIME, summary: 'the tracer exited with an error' },
  SERVER_FAILED: { exit: EXIT.RUNTIME, summary: 'the HTTP server cannot start (port in use, bad address)' },
  PLUGIN_INCOMPATIBLE: { exit: EXIT.RUNTIME, summary: 'a plugin needs a plugin API version this stracectl does not provide', hint: 'update the plugin or stracectl (`stracectl plugins update`)' },
  INTERNAL: { exit: EXIT.INTERNAL, summary: 'a bug in stracectl', hint: 'please report it with the command line and input that caused it' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class StracectlError extends Error {
  readonly code: ErrorCode;
  readonly exit: number;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; exit?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StracectlError';
    this.code = code;
    const spec: ErrorSpec = ERROR_CATALOG[code];
    this.exit = options.exit ?? spec.exit;
    this.hint = options.hint ?? spec.hint;
  }
}

/** Formats a diagnostic line the way every command prints them. */
export function diagnostic(command: string, message: string): string {
  return `stracectl ${command}: ${printable(message)}`;
}

/**
 * Escapes control and non-printable characters so text that came from a
 * traced program or a corrupt input can never drive the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, (char) =>
    char === '\ufffd' ? '\\ufffd' : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
