/** Helpers for the serve tests: sample events, the fixture's expected counts, and a running `serve` CLI. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { SyscallEvent } from '../../src/event.js';
import { canonicalName } from '../../src/kb/aliases.js';
import { binRun, fixturesDir, readEvents, readJson } from '../helpers.js';

export const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');

let seq = 0;
/** A valid event with defaults; timestamps increase so logs keep their order. */
export function makeEvent(fields: Partial<SyscallEvent> = {}): SyscallEvent {
  seq++;
  const micros = String(seq % 1_000_000).padStart(6, '0');
  return { pid: 100, name: 'read', args: '3, "x", 1', ret: '1', latency_ns: 1000, error: '', timestamp: `2026-11-27T20:00:00.${micros}Z`, ...fields };
}

export function fixtureEvents(): SyscallEvent[] {
  return readEvents(eventsPath);
}

interface ExpectedFile {
  events: number;
  total_errors: number;
  syscalls: Record<string, { calls: number; errors: number; total_ns: number; error_breakdown?: Record<string, number> }>;
}

/** events.expected.json summed per canonical name (what serve reports, since it normalises). */
export function expectedByCanonicalName(): { events: number; errors: number; byName: Map<string, { calls: number; errors: number; total_ns: number; error_breakdown: Record<string, number> }> } {
  const expected = readJson<ExpectedFile>(join(fixturesDir, 'ndjson/events.expected.json'));
  const byName = new Map<string, { calls: number; errors: number; total_ns: number; error_breakdown: Record<string, number> }>();
  for (const [raw, row] of Object.entries(expected.syscalls)) {
    const name = canonicalName(raw);
    const entry = byName.get(name) ?? { calls: 0, errors: 0, total_ns: 0, error_breakdown: {} };
    entry.calls += row.calls;
    entry.errors += row.errors;
    entry.total_ns += row.total_ns;
    for (const [errno, n] of Object.entries(row.error_breakdown ?? {})) entry.error_breakdown[errno] = (entry.error_breakdown[errno] ?? 0) + n;
    byName.set(name, entry);
  }
  return { events: expected.events, errors: expected.total_errors, byName };
}

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT/` as printed by serve. */
  url: string;
  port: number;
  /** Everything serve wrote on stderr so far. */
  stderr(): string;
  /** Resolves when stderr matches. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit status (or 128+n on a signal death). */
  exited: Promise<number>;
  /** Sends SIGKILL if still running (test cleanup). */
  kill(): void;
}

/** Starts `node bin/run.js serve --port 0 ARGS` and waits for the URL on stderr. */
export async function startServe(args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [binRun, 'serve', '--port', '0', ...args], {
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2)));
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 30_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stderr)) return resolve();
      const timer = setTimeout(() => reject(new Error(`serve did not print ${pattern} in ${timeoutMs} ms; stderr: ${stderr}; stdout: ${stdout}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      void exited.then((status) => reject(new Error(`serve exited with ${status} before printing ${pattern}; stderr: ${stderr}`)));
    });
  await waitForStderr(/dashboard at (http:\/\/\S+\/)/);
  const url = /dashboard at (http:\/\/\S+\/)/.exec(stderr)?.[1] ?? '';
  return {
    child,
    url,
    port: Number(new URL(url).port),
    stderr: () => stderr,
    waitForStderr,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
