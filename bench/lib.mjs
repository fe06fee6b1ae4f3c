// Helpers for the benchmark scripts: run a shell pipeline, time it, and track
// the peak RSS of one process in it through /proc (VmHWM), on Linux.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = join(repoRoot, '../shared/fixtures');
export const cli = `${process.execPath} ${join(repoRoot, 'bin/run.js')}`;

/** Runs `bash -c script`; resolves with wall seconds and the exit status. */
export function timeShell(script) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (status) => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, status }));
  });
}

/** Peak resident set of a running process (kB), or 0 when it is gone. */
export function peakRssKb(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Best of `runs` timings of the same pipeline (less noise on a shared 2-core VM). */
export async function bestOf(runs, script) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const { seconds, status } = await timeShell(script);
    if (status !== 0) throw new Error(`benchmark step failed (${status}): ${script}`);
    best = Math.min(best, seconds);
  }
  return best;
}

export const fmt = (n) => Math.round(n).toLocaleString('en-US');
