/**
 * Two runs for the diff tests: A is the fixture `ndjson/events.ndjson`
 * (perl_socketpair_fork + sort_parallel), B the same run with known changes.
 */
import { join } from 'node:path';
import type { SyscallEvent } from '../src/event.js';
import { fixturesDir, readEvents } from './helpers.js';

export const runAPath = join(fixturesDir, 'ndjson/events.ndjson');

/**
 * B = A with: every rt_sigaction gone (vanished, 158 calls); 5 ptrace calls
 * added (new); openat twice as slow (p50/p95/p99 +100%); 9 more read
 * errors (1 → 10 of 45: error_pct 2.22 → 22.22, +20 points); the first
 * 100 write calls made twice (322 → 422, +31.06%). Nothing else changes.
 */
export function runB(a: readonly SyscallEvent[] = readEvents(runAPath)): SyscallEvent[] {
  const out: SyscallEvent[] = [];
  let readsFailed = 0;
  let writesRepeated = 0;
  for (const event of a) {
    if (event.name === 'rt_sigaction') continue;
    if (event.name === 'openat') {
      out.push({ ...event, latency_ns: event.latency_ns * 2 });
    } else if (event.name === 'read' && event.error === '' && readsFailed < 9) {
      readsFailed++;
      out.push({ ...event, ret: '-1', error: 'EAGAIN' });
    } else {
      out.push(event);
    }
    if (event.name === 'write' && writesRepeated < 100) {
      writesRepeated++;
      out.push({ ...event });
    }
  }
  for (let i = 0; i < 5; i++) {
    out.push({ pid: 24951, name: 'ptrace', args: 'PTRACE_TRACEME', ret: '0', latency_ns: 1000, error: '', timestamp: '2026-11-27T20:53:09.000000Z' });
  }
  return out;
}

export const toNdjson = (records: readonly object[]): string => records.map((record) => JSON.stringify(record)).join('\n') + '\n';
