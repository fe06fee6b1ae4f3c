/**
 * Throughput of `stracectl parse` over ≥1M lines made of the fixture traces
 * (../shared/fixtures/strace/*.txt, repeated).
 *
 * 1. operator + serialisation, in memory: lines → parseStrace() → NDJSON text
 *    (then also batched into 64 KiB strings, as the writer does: what
 *    `parse --no-normalize` does between the line splitter and stdout), best
 *    of several rounds;
 * 2. the same with normalize() (the default `parse`);
 * 3. the CLI end to end: `node bin/run.js parse --no-normalize FILE > /dev/null`
 *    on a temp file (needs `npx tsc -p tsconfig.build.json` first).
 *
 * Prints lines/s by wall clock and by CPU time (the machine may be shared;
 * CPU time is the steadier figure). For the CLI, CPU time comes from
 * /usr/bin/time when installed, minus the start-up measured on empty input.
 *
 * Usage: node --import tsx bench/parse.ts [--lines N] [--rounds N] [--no-cli]
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, type Observable, type OperatorFunction } from 'rxjs';
import type { TraceRecord } from '../src/event.js';
import { normalize } from '../src/operators/normalize.js';
import { parseStrace } from '../src/operators/parseStrace.js';
import { parsedRecordToJson } from '../src/strace/json.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const traceDir = path.resolve(repoRoot, '../shared/fixtures/strace');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}
const targetLines = option('--lines', 1_000_000);
const rounds = option('--rounds', 5);

const traces = readdirSync(traceDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => readFileSync(path.join(traceDir, f), 'utf8'));
let text = '';
let lineCount = 0;
while (lineCount < targetLines) {
  for (const trace of traces) {
    text += trace;
    lineCount += trace.split('\n').length - 1;
  }
}
// Lines cut out of one big string, as the CLI's line splitter makes them.
const lines = text.split('\n');
lines.pop();

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

interface Result {
  wall: number;
  cpu: number;
  events: number;
  bytes: number;
}

function runInMemory(chain: OperatorFunction<string, TraceRecord>, toLine: (record: TraceRecord) => string, batch = true): Result {
  let parts: string[] = [];
  let size = 0;
  let bytes = 0;
  let events = 0;
  const wall0 = performance.now();
  const cpu0 = cpuSeconds();
  (from(lines).pipe(chain) as Observable<TraceRecord>).subscribe((record) => {
    const line = toLine(record);
    events++;
    if (!batch) {
      bytes += line.length + 1;
      return;
    }
    parts.push(line, '\n');
    size += line.length + 1;
    if (size >= 64 * 1024) {
      bytes += parts.join('').length;
      parts = [];
      size = 0;
    }
  });
  bytes += parts.join('').length;
  return { wall: (performance.now() - wall0) / 1000, cpu: cpuSeconds() - cpu0, events, bytes };
}

function best(label: string, run: () => Result): void {
  let wall = Infinity;
  let cpu = Infinity;
  let last: Result | undefined;
  for (let i = 0; i < rounds; i++) {
    last = run();
    wall = Math.min(wall, last.wall);
    cpu = Math.min(cpu, last.cpu);
  }
  const r = last as Result;
  console.log(
    `${label.padEnd(44)} ${fmt(lines.length / wall)} lines/s (wall)  ${fmt(lines.length / cpu)} lines/s (cpu)  ` +
      `${r.events} events, ${(r.bytes / 1e6).toFixed(0)} MB out`,
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(10);
}

console.log(`parse bench: ${lines.length.toLocaleString('en-US')} lines (${(text.length / 1e6).toFixed(0)} MB) from ${traces.length} fixture traces, best of ${rounds}`);
const options = { date: '2026-11-27' };
best('parseStrace + serialisation, no batching', () => runInMemory(parseStrace(options), parsedRecordToJson, false));
best('parseStrace + serialisation + 64 KiB batches', () => runInMemory(parseStrace(options), parsedRecordToJson));
best('parseStrace + JSON.stringify', () => runInMemory(parseStrace(options), (r) => JSON.stringify(r)));
best('parseStrace + normalize + JSON.stringify', () =>
  runInMemory((source) => source.pipe(parseStrace(options), normalize()), (r) => JSON.stringify(r)),
);

if (!process.argv.includes('--no-cli')) {
  const dir = mkdtempSync(path.join(tmpdir(), 'stracectl-bench-'));
  try {
    const file = path.join(dir, 'trace.txt');
    writeFileSync(file, text);
    const startup = await cli([], '/dev/null');
    console.log(`${'CLI start-up (empty input)'.padEnd(44)} ${startup.wall.toFixed(2)} s wall${startup.cpu === undefined ? '' : `, ${startup.cpu.toFixed(2)} s cpu`}`);
    for (const args of [['--no-normalize'], []]) {
      let wall = Infinity;
      let cpu = Infinity;
      for (let i = 0; i < Math.min(rounds, 3); i++) {
        const run = await cli([...args, '--date', '2026-11-27', file]);
        wall = Math.min(wall, run.wall);
        if (run.cpu !== undefined) cpu = Math.min(cpu, run.cpu);
      }
      const perCpu = Number.isFinite(cpu) ? `  ${fmt(lines.length / (cpu - (startup.cpu ?? 0)))} lines/s (cpu, start-up excluded)` : '';
      console.log(`${`CLI: parse ${args.join(' ')} FILE > /dev/null`.padEnd(44)} ${fmt(lines.length / wall)} lines/s (wall, start-up included)${perCpu}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the CLI with stdout to /dev/null; CPU seconds come from /usr/bin/time when it is there. */
function cli(args: string[], stdin = 'ignore'): Promise<{ wall: number; cpu?: number }> {
  const devNull = openSync('/dev/null', 'w');
  const input = stdin === 'ignore' ? 'ignore' : openSync(stdin, 'r');
  const command = [process.execPath, path.join(repoRoot, 'bin/run.js'), 'parse', ...args];
  const timed = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = timed
    ? spawn('/usr/bin/time', ['-f', 'cpu %U %S', ...command], { stdio: [input, devNull, 'pipe'] })
    : spawn(command[0] as string, command.slice(1), { stdio: [input, devNull, 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      closeSync(devNull);
      if (typeof input === 'number') closeSync(input);
      if (code !== 0) return reject(new Error(`parse exited with ${code}: ${stderr}`));
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      resolve({ wall: (performance.now() - started) / 1000, cpu: m ? Number(m[1]) + Number(m[2]) : undefined });
    });
  });
}
