import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { from, lastValueFrom, toArray, take, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { normalize } from '../../src/operators/normalize.js';
import { fixturesDir, sharedDir } from '../helpers.js';

/** The seed's alias table, parsed from the seed text itself (independent of src/kb). */
function seedAliases(): Map<string, string> {
  const seed = readFileSync(join(sharedDir, 'seed/syscall-reference.txt'), 'utf8');
  const table = seed.slice(seed.indexOf('| Alias | Canonical |'));
  const aliases = new Map<string, string>();
  for (const line of table.split('\n').slice(2)) {
    const match = /^([a-z0-9_, ]+) \| ([a-z0-9_]+) \|$/.exec(line.trim());
    if (!match) continue;
    for (const alias of match[1]!.split(',')) aliases.set(alias.trim(), match[2]!);
  }
  return aliases;
}

const base: SyscallEvent = { pid: 7, name: 'newfstatat', args: '3, ""', ret: '0', latency_ns: 1, error: '', timestamp: '2026-11-27T00:00:00.000000Z', comm: 'x' };

describe('normalize', () => {
  it('maps every alias of the seed to its canonical name, keeping raw_name and extra fields', async () => {
    const aliases = seedAliases();
    assert.ok(aliases.size >= 37, `parsed ${aliases.size} aliases`);
    const input = [...aliases.keys()].map((name) => ({ ...base, name }));
    const output = (await lastValueFrom(from(input as TraceRecord[]).pipe(normalize(), toArray()))) as unknown as SyscallEvent[];
    output.forEach((event, i) => {
      assert.equal(event.name, aliases.get(input[i]!.name));
      assert.equal(event.raw_name, input[i]!.name);
      assert.equal(event.comm, 'x');
      assert.ok(event.category);
    });
  });

  it('names that are also Object.prototype members (toString, constructor) stay themselves, category OTHER', async () => {
    const events: TraceRecord[] = ['toString', 'constructor', '__proto__', 'hasOwnProperty'].map((name) => ({ ...base, name }));
    const out = (await lastValueFrom(from(events).pipe(normalize(), toArray()))) as unknown as SyscallEvent[];
    assert.deepEqual(out.map((event) => [event.name, event.category, event.raw_name]), ['toString', 'constructor', '__proto__', 'hasOwnProperty'].map((name) => [name, 'OTHER', undefined]));
    assert.match(JSON.stringify(out[0]), /"name":"toString"/);
  });

  it('sets the category and leaves canonical events without raw_name; does not mutate input', async () => {
    const event = { ...base, name: 'connect' };
    const [out] = (await lastValueFrom(from([event] as TraceRecord[]).pipe(normalize(), toArray()))) as unknown as SyscallEvent[];
    assert.equal(out!.category, 'NET');
    assert.equal('raw_name' in out!, false);
    assert.equal('category' in event, false);
    const [unknown] = (await lastValueFrom(from([{ ...base, name: "socketpair" }] as TraceRecord[]).pipe(normalize(), toArray()))) as unknown as SyscallEvent[];
    assert.equal(unknown!.category, 'OTHER');
  });

  it('returns already-normalised events as the same object', async () => {
    const event = { ...base, name: 'read', category: 'I/O' as const };
    const [out] = await lastValueFrom(from([event] as TraceRecord[]).pipe(normalize(), toArray()));
    assert.equal(out, event);
  });

  it('passes meta records untouched', async () => {
    const meta = { type: 'signal', signal: 'SIGCHLD' };
    assert.deepEqual(await lastValueFrom(from([meta]).pipe(normalize(), toArray())), [meta]);
  });

  it('marble: empty, error, firehose cut by take', async () => {
    new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold<TraceRecord>('--|').pipe(normalize())).toBe('--|');
      expectObservable(cold<TraceRecord>('--#').pipe(normalize())).toBe('--#');
    });
    let produced = 0;
    const firehose = new Observable<TraceRecord>((subscriber) => {
      for (let i = 0; i < 100_000 && !subscriber.closed; i++, produced++) subscriber.next(base);
    });
    await lastValueFrom(firehose.pipe(normalize(), take(1)));
    assert.ok(produced <= 2);
  });

  it('normalised fixture events keep every field but name/raw_name/category', async () => {
    const lines = readFileSync(join(fixturesDir, 'ndjson/events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SyscallEvent);
    const out = (await lastValueFrom(from(lines as TraceRecord[]).pipe(normalize(), toArray()))) as unknown as SyscallEvent[];
    out.forEach((event, i) => {
      const { name: _n, raw_name: _r, category: _c, ...rest } = event;
      const { name: _n2, ...original } = lines[i]!;
      assert.deepEqual(rest, original);
    });
  });
});
