/**
 * Throughput of `stracectl parse` over lines made of the fixture traces
 * (../shared/fixtures/strace/*.txt, repeated). The number that counts is the
 * HEADLINE: the CLI end to end, wall clock, file → stdout (/dev/null), start-up
 * included — `node bin/run.js parse [--no-normalize] FILE > /dev/null` over
 * --cli-lines lines (default 5M, to amortise the ~0.25 s oclif start-up),
 * best of --cli-rounds runs (needs `npm run build` first), with parse's
 * default worker threads; then the same on one thread (STRACECTL_WORKERS=0).
 * Target (issue 2): 1,000,000 lines/s.
 *
 * Also printed: the CLI's CPU time (from /usr/bin/time when installed) minus
 * the start-up measured on empty input, and in-memory figures over --lines
 * lines (default 1M): the one-thread hot path (ParseAssembler over 1 MiB runs
 * of lines, NDJSON bytes out), what the two halves of the parallel path cost
 * per line (scan on a worker, assemble on the main thread), and the per-line
 * operator chain (parseStrace() → serialisation, what `parse` ran before).
 *
 * The machine may be shared: CPU time is the steadier figure.
 *
 * Usage: node --import tsx bench/parse.ts [--lines N] [--cli-lines N] [--rounds N] [--cli-rounds N] [--no-cli]
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, type Observable, type OperatorFunction } from 'rxjs';
import type { TraceRecord } from '../src/event.js';
import { normalize } from '../src/operators/normalize.js';
import { parseStrace } from '../src/operators/parseStrace.js';
import { BlockScanner, ParseAssembler } from '../src/parallel/parseBlocks.js';
import { parseWorkerCount } from '../src/parallel/parsePool.js';
import { parsedRecordToJson } from '../src/strace/json.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const traceDir = path.resolve(repoRoot, '../shared/fixtures/strace');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}
const targetLines = option('--lines', 1_000_000);
const cliLines = option('--cli-lines', 5_000_000);
const rounds = option('--rounds', 5);
const cliRounds = option('--cli-rounds', 3);
const TARGET = 1_000_000;
const defaultWorkers = parseWorkerCount();

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

/** 1 MiB runs of whole lines, as the CLI reads them. */
const runs: string[] = [];
for (let at = 0; at < text.length; ) {
  let end = text.indexOf('\n', Math.min(at + 1024 * 1024, text.length - 1)) + 1;
  if (end === 0) end = text.length;
  runs.push(text.slice(at, end));
  at = end;
}

function newlines(bytes: Uint8Array | undefined): number {
  let count = 0;
  if (bytes !== undefined) for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

/** The hot path on one thread: runs of lines → ParseAssembler → NDJSON bytes. */
function runHotPath(normalize: boolean): Result {
  let bytes = 0;
  let events = 0;
  const wall0 = performance.now();
  const cpu0 = cpuSeconds();
  const assembler = new ParseAssembler({ date: '2026-11-27', normalize, maxLineBytes: 8 * 1024 * 1024 });
  const take = (): void => {
    const ndjson = assembler.take();
    events += newlines(ndjson);
    bytes += ndjson?.length ?? 0;
  };
  for (const run of runs) {
    assembler.pushLines(run);
    take();
  }
  assembler.end();
  take();
  return { wall: (performance.now() - wall0) / 1000, cpu: cpuSeconds() - cpu0, events, bytes };
}

/**
 * The two halves of the parallel hot path, one after the other on this thread:
 * what each costs per line (the workers scan, the main thread assembles).
 */
function runHalves(normalize: boolean): void {
  const scanner = new BlockScanner({ date: '2026-11-27', normalize, maxLineBytes: 8 * 1024 * 1024 });
  const assembler = new ParseAssembler({ date: '2026-11-27', normalize, maxLineBytes: 8 * 1024 * 1024 });
  let scan = Infinity;
  let assemble = Infinity;
  for (let round = 0; round < rounds; round++) {
    let scanned = 0;
    let assembled = 0;
    for (const run of runs) {
      const t0 = performance.now();
      const block = scanner.scan(run, assembler.hint());
      const t1 = performance.now();
      assembler.pushBlock(block);
      assembler.take();
      scanned += t1 - t0;
      assembled += performance.now() - t1;
    }
    scan = Math.min(scan, scanned / 1000);
    assemble = Math.min(assemble, assembled / 1000);
  }
  const perLine = (seconds: number): string => `${((seconds / lines.length) * 1e6).toFixed(2)} µs/line`;
  console.log(`parallel halves${normalize ? ', normalised' : ', raw'}: scan (worker) ${perLine(scan)}, assemble (main thread) ${perLine(assemble)} (wall)`);
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

const options = { date: '2026-11-27' };
const results: string[] = [];

if (!process.argv.includes('--no-cli')) {
  const dir = mkdtempSync(path.join(tmpdir(), 'stracectl-bench-'));
  try {
    const file = path.join(dir, 'trace.txt');
    writeFileSync(file, '');
    let fileLines = 0;
    while (fileLines < cliLines) {
      appendFileSync(file, text);
      fileLines += lines.length;
    }
    console.log(`CLI: ${fileLines.toLocaleString('en-US')} lines (the ${lines.length.toLocaleString('en-US')}-line text below, ${fileLines / lines.length}x), best of ${cliRounds}`);
    const startup = await cli([], '/dev/null');
    console.log(`  start-up (empty input): ${startup.wall.toFixed(2)} s wall${startup.cpu === undefined ? '' : `, ${startup.cpu.toFixed(2)} s cpu`}`);
    console.log(`  parse workers by default: ${defaultWorkers} (cores: ${availableParallelism()})`);
    // The default (workers on a machine with several cores), then the same on one thread: STRACECTL_WORKERS=0.
    for (const workers of [undefined, '0']) {
      for (const args of [['--no-normalize'], []]) {
        let wall = Infinity;
        let cpu = Infinity;
        for (let i = 0; i < cliRounds; i++) {
          const run = await cli([...args, '--date', '2026-11-27', file], 'ignore', workers);
          wall = Math.min(wall, run.wall);
          if (run.cpu !== undefined) cpu = Math.min(cpu, run.cpu);
        }
        const label = `parse ${args.join(' ')}`.trim() + (workers === undefined ? '' : ', one thread');
        const perCpu = Number.isFinite(cpu) ? `; cpu ${cpu.toFixed(2)} s → ${fmt(fileLines / (cpu - (startup.cpu ?? 0))).trim()} lines per cpu-second, start-up excluded` : '';
        const line =
          `${workers === undefined ? 'HEADLINE ' : ''}${label.padEnd(36)} ${fmt(fileLines / wall)} lines/s wall, file → stdout, start-up included` +
          (workers === undefined ? ` (target ${TARGET.toLocaleString('en-US')}: ${fileLines / wall >= TARGET ? 'met' : 'NOT met'})` : '');
        console.log(`  ${line}\n    ${wall.toFixed(2)} s wall${perCpu}`);
        results.push(line);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`\nin memory: ${lines.length.toLocaleString('en-US')} lines (${(text.length / 1e6).toFixed(0)} MB) from ${traces.length} fixture traces, best of ${rounds}`);
best('hot path, one thread (runs → NDJSON), raw', () => runHotPath(false));
best('hot path, one thread (runs → NDJSON), normalised', () => runHotPath(true));
runHalves(false);
runHalves(true);
best('parseStrace + serialisation, 64 KiB batches', () => runInMemory(parseStrace(options), parsedRecordToJson));
best('parseStrace + normalize + JSON.stringify', () =>
  runInMemory((source) => source.pipe(parseStrace(options), normalize()), (r) => JSON.stringify(r)),
);
if (results.length > 0) console.log(`\n${results.join('\n')}`);

/** Runs the CLI with stdout to /dev/null; CPU seconds come from /usr/bin/time when it is there. */
function cli(args: string[], stdin = 'ignore', workers?: string): Promise<{ wall: number; cpu?: number }> {
  const env = workers === undefined ? process.env : { ...process.env, STRACECTL_WORKERS: workers };
  const devNull = openSync('/dev/null', 'w');
  const input = stdin === 'ignore' ? 'ignore' : openSync(stdin, 'r');
  const command = [process.execPath, path.join(repoRoot, 'bin/run.js'), 'parse', ...args];
  const timed = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = timed
    ? spawn('/usr/bin/time', ['-f', 'cpu %U %S', ...command], { stdio: [input, devNull, 'pipe'], env })
    : spawn(command[0] as string, command.slice(1), { stdio: [input, devNull, 'pipe'], env });
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
