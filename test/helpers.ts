/** Shared test helpers: paths to the repo and fixtures, and running the built CLI. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyscallEvent } from '../src/event.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sharedDir = resolve(repoRoot, '../shared');
export const fixturesDir = join(sharedDir, 'fixtures');
export const binRun = join(repoRoot, 'bin/run.js');

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function readEvents(path: string): SyscallEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SyscallEvent);
}

/** Runs `node bin/run.js ARGS` synchronously with optional stdin. */
export function runCli(args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [binRun, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', ...options.env },
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Runs a shell pipeline (bash -o pipefail off) and returns every stage's exit status via PIPESTATUS. */
export function runShell(script: string, options: { timeoutMs?: number } = {}): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', RUN: `${process.execPath} ${binRun}` },
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

export { spawn };
