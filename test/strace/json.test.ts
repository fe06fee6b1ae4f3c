/**
 * parsedRecordToJson must give exactly JSON.stringify's text for whatever
 * parseStrace (and normalize after it) produce. If either producer changes
 * the fields or their order, this fails — update json.ts with it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { SyscallEvent, TraceRecord } from '../../src/event.js';
import { normalize, normalizeEvent } from '../../src/operators/normalize.js';
import { parseStrace } from '../../src/operators/parseStrace.js';
import { normalizedRecordToJson, parsedRecordToJson } from '../../src/strace/json.js';

const traceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/strace');

describe('parsedRecordToJson / normalizedRecordToJson', () => {
  it('equals JSON.stringify for every record of every fixture trace, raw, normalised and meta', async () => {
    let checked = 0;
    for (const file of readdirSync(traceDir).filter((f) => f.endsWith('.txt'))) {
      const lines = readFileSync(path.join(traceDir, file), 'utf8').split('\n');
      const raw = await lastValueFrom(from(lines).pipe(parseStrace({ date: '2026-11-27', emitMeta: true }), toArray()));
      const normalized = await lastValueFrom(from(raw).pipe(normalize(), toArray()));
      for (const record of [...raw, ...normalized]) {
        assert.equal(parsedRecordToJson(record), JSON.stringify(record));
        checked++;
      }
      raw.forEach((record, i) => assert.equal(normalizedRecordToJson(record), JSON.stringify(normalized[i])));
    }
    assert.ok(checked > 2 * 13_537, `${checked} records checked`);
  });

  it('escapes what JSON needs in args and ret_path (quotes, backslashes, controls, lone surrogates), with the optional fields', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
        fc.boolean(),
        fc.constantFrom('read', 'newfstatat', 'pipe2', 'unknown_call'),
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.constantFrom('\ud800', 'a\udfff', '\u0000\u001f\u007f', '"\\')),
        (args, retPath, unfinished, name, odd) => {
          const event: SyscallEvent = { pid: 1, name, args: args + odd, ret: '-1', latency_ns: 12_000, error: 'ENOENT', timestamp: '2026-11-27T20:53:07.739371Z' };
          if (retPath !== undefined) event.ret_path = retPath + odd;
          if (unfinished) event.unfinished = true;
          for (const record of [event, normalizeEvent(event)] as TraceRecord[]) {
            const text = parsedRecordToJson(record);
            assert.equal(text, JSON.stringify(record));
            assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(record)));
          }
          assert.equal(normalizedRecordToJson(event), JSON.stringify(normalizeEvent(event)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  // Against parsedRecordToJson(normalizeEvent()), what `parse` wrote before, names like `toString` included.
  it('normalizedRecordToJson(record) is parsedRecordToJson(normalizeEvent(record)), whatever the name (the name cache included)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('stat', 'openat', 'exit', 'mmap2', 'read'), fc.stringMatching(/^\w{1,12}$/)), (name) => {
        const event: SyscallEvent = { pid: 7, name, args: 'x', ret: '0', latency_ns: 0, error: '', timestamp: '2026-11-27T20:53:07.739371Z' };
        for (let i = 0; i < 2; i++) assert.equal(normalizedRecordToJson(event), parsedRecordToJson(normalizeEvent(event)));
      }),
      { numRuns: 2000 },
    );
  });
});
