/**
 * `/api/stats` latency (p50/p99) of `stracectl serve` under 50 concurrent
 * clients (autocannon, 10 s) while events are piped into it as fast as it
 * takes them, then the same load on an idle server for comparison.
 * Needs the build (`npx tsc -p tsconfig.build.json`).
 *
 *   node --import tsx bench/serve-api.ts
 *   Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface AutocannonResult {
  latency: { p50: number; p99: number; average: number; max: number };
  requests: { average: number; total: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const eventsPath = resolve(repoRoot, '../shared/fixtures/ndjson/events.ndjson');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// The firehose runs in its own process (so its work does not skew the client's
// timings) and writes pre-built blocks of fixture lines with varied latencies
// as fast as serve's stdin drains.
const FIREHOSE = `
const lines = require('fs').readFileSync(process.env.EVENTS, 'utf8').trimEnd().split('\\n');
const blocks = [];
for (let v = 0; v < 8; v++) blocks.push(Buffer.from(lines.map((line, i) => line.replace(/"latency_ns":\\d+/, '"latency_ns":' + (((v * lines.length + i) * 7919) % 10000000))).join('\\n') + '\\n'));
let n = 0;
const pump = () => { while (process.stdout.write(blocks[n++ % blocks.length])); process.stdout.once('drain', pump); };
process.stdout.on('error', () => process.exit(0));
pump();
`;
const firehose = spawn(process.execPath, ['-e', FIREHOSE], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EVENTS: eventsPath } });
const child = spawn(process.execPath, [join(repoRoot, 'bin/run.js'), 'serve', '--port', '0'], { stdio: [firehose.stdout, 'ignore', 'pipe'] });
let stderr = '';
const url = await new Promise<string>((resolveUrl, reject) => {
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const match = /dashboard at (http:\/\/\S+\/)/.exec(stderr);
    if (match?.[1] !== undefined) resolveUrl(match[1]);
  });
  child.once('exit', (status) => reject(new Error(`serve exited with ${status}: ${stderr}`)));
});

async function eventsSeen(): Promise<number> {
  return ((await (await fetch(`${url}healthz`)).json()) as { events: number }).events;
}

async function measure(label: string): Promise<AutocannonResult> {
  const before = await eventsSeen();
  const started = process.hrtime.bigint();
  const result = await autocannon({ url: `${url}api/stats`, connections, duration: seconds });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const ingested = (await eventsSeen()) - before;
  console.log(
    `serve-api (${label}): /api/stats p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ` +
      `${fmt(result.requests.average)} req/s, ${result.errors} errors, ${result.non2xx} non-2xx; ` +
      `${connections} clients, ${seconds} s; ingested ${fmt(ingested / elapsed)} events/s meanwhile`,
  );
  return result;
}

await new Promise((r) => setTimeout(r, 1000)); // let the ingest reach its steady rate
const loaded = await measure('ingesting');
firehose.kill('SIGTERM'); // serve sees its stdin end and keeps serving
await new Promise((r) => setTimeout(r, 500));
const idle = await measure('idle');
console.log(`serve-api: total ${fmt(await eventsSeen())} events ingested; p99 ingesting/idle ${(loaded.latency.p99 / Math.max(idle.latency.p99, 1)).toFixed(1)}x`);

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
if (loaded.errors > 0 || loaded.non2xx > 0) process.exitCode = 1;
