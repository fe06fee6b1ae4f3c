// aggregate events/s and peak RSS over ≥3M streamed events (generated on the
// fly, never stored). Target: peak RSS ≤ 150 MB at 3M events.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, fmt, peakRssKb, repoRoot } from './lib.mjs';

const total = Number(process.env.BENCH_EVENTS ?? 3_000_000);
const lines = readFileSync(join(fixtures, 'ndjson/events.ndjson'), 'utf8').trimEnd().split('\n');
const child = spawn(process.execPath, [join(repoRoot, 'bin/run.js'), 'aggregate'], { stdio: ['pipe', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid))), 100);

const started = process.hrtime.bigint();
let sent = 0;
const batch = 5000;
function pump() {
  while (sent < total) {
    const parts = [];
    // Vary latency so histograms are exercised; vary nothing that adds groups.
    for (let i = 0; i < batch && sent < total; i++, sent++) parts.push(lines[sent % lines.length].replace(/"latency_ns":\d+/, `"latency_ns":${(sent * 7919) % 10_000_000}`));
    if (!child.stdin.write(parts.join('\n') + '\n')) return child.stdin.once('drain', pump);
  }
  child.stdin.end();
}
pump();
child.on('close', (status) => {
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const counted = output.trim().split('\n').reduce((sum, line) => sum + JSON.parse(line).count, 0);
  console.log(`aggregate: ${fmt(total / seconds)} events/s over ${fmt(total)} streamed events (${seconds.toFixed(1)} s, exit ${status})`);
  console.log(`aggregate: counted ${fmt(counted)} events; peak RSS ${(peak / 1024).toFixed(1)} MB (target <= 150 MB)`);
  if (counted !== total) process.exitCode = 1;
});
