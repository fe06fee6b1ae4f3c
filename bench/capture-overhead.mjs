// The traced program's own runtime (dd's "copied, N s") untraced, under bare
// `strace -f -o /dev/null`, and under `stracectl capture --backend strace`
// (events to /dev/null), on a syscall-heavy workload. Runs are interleaved
// and the median is kept (a shared 2-core VM is noisy).
// Target: capture ≤ 1.10× bare strace — our parsing must never be the bottleneck.
// Env: BENCH_COUNT (dd count, default 200000), BENCH_RUNS (default 5).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, repoRoot } from './lib.mjs';

const count = Number(process.env.BENCH_COUNT ?? 200000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const dd = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${count}`];
const cli = [join(repoRoot, 'bin/run.js')];

/** Runs argv; returns dd's own runtime (seconds) from its stderr, and the output line count when asked. */
function run(argv, { countLines = false } = {}) {
  const result = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', countLines ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  const match = /copied, ([\d.]+) s/.exec(result.stderr);
  if (!match) throw new Error(`no dd timing in: ${result.stderr}`);
  const lines = countLines ? result.stdout.split('\n').length - 1 : 0;
  return { seconds: Number(match[1]), lines };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const variants = {
  untraced: dd,
  strace: ['strace', '-f', '-o', '/dev/null', ...dd],
  capture: [process.execPath, ...cli, 'capture', '--backend', 'strace', '--', ...dd],
};
const times = { untraced: [], strace: [], capture: [] };
for (let round = 0; round < runs; round++) {
  for (const [name, argv] of Object.entries(variants)) times[name].push(run(argv).seconds);
}
// One more capture into a pipe, to count the events it emits.
const counted = run(variants.capture, { countLines: true });

const untraced = median(times.untraced);
const strace = median(times.strace);
const capture = median(times.capture);
console.log(`workload: ${dd.join(' ')} (${runs} interleaved runs, medians of dd's own runtime)`);
console.log(`untraced:                    ${untraced.toFixed(3)} s`);
console.log(`strace -f -o /dev/null:      ${strace.toFixed(3)} s  (${(strace / untraced).toFixed(0)}x untraced)`);
console.log(`stracectl capture (strace):  ${capture.toFixed(3)} s  [${times.capture.map((s) => s.toFixed(2)).join(', ')}]`);
console.log(`ratio capture / bare strace: ${(capture / strace).toFixed(3)}x (target <= 1.10x)  [strace runs: ${times.strace.map((s) => s.toFixed(2)).join(', ')}]`);
console.log(`events emitted: ${fmt(counted.lines)}; sustained ${fmt(counted.lines / counted.seconds)} events/s`);
