import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firstValueFrom, from, lastValueFrom, range, take, toArray, map, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { serializeRecord } from '../../src/event.js';
import { StracectlError } from '../../src/errors.js';
import { decodeRecords } from '../../src/operators/decodeRecords.js';
import { fixturesDir, readJson } from '../helpers.js';

const badPath = join(fixturesDir, 'ndjson/bad.ndjson');
const badExpected = readJson<{ invalid_lines: number[]; valid_lines: number[]; valid_events: number }>(join(fixturesDir, 'ndjson/bad.expected.json'));
const badLines = readFileSync(badPath, 'utf8').split('\n').map((line) => line.replace(/\r$/, ''));

const event = (pid: number) => JSON.stringify({ pid, name: 'read', args: '3', ret: '1', latency_ns: 5, error: '', timestamp: '2026-11-27T00:00:00.000000Z' });

describe('decodeRecords', () => {
  it('keeps every valid event of bad.ndjson and reports exactly the invalid lines', async () => {
    const invalid: string[] = [];
    const records = await lastValueFrom(
      from(badLines).pipe(decodeRecords({ source: 'bad.ndjson', onInvalidLine: (at) => invalid.push(at) }), toArray()),
    );
    assert.equal(records.length, badExpected.valid_events);
    assert.deepEqual(invalid, badExpected.invalid_lines.map((line) => `bad.ndjson:${line}`));
    // Valid lines come out byte for byte (extra fields included).
    const expectedText = badExpected.valid_lines.map((line) => badLines[line - 1]);
    assert.deepEqual(records.map(serializeRecord), expectedText);
    const withExtras = records.find((record) => 'tags' in record);
    assert.ok(withExtras && 'comm' in withExtras && 'fd_path' in withExtras);
  });

  it('fails on the first invalid line in strict mode', async () => {
    await assert.rejects(
      lastValueFrom(from(badLines).pipe(decodeRecords({ source: 'stdin', strict: true }))),
      (error: unknown) => error instanceof StracectlError && error.code === 'INVALID_INPUT' && /stdin:4:/.test(error.message),
    );
  });

  it('completes on empty input and skips blank lines silently', async () => {
    const invalid: string[] = [];
    const records = await lastValueFrom(from(['', '  ']).pipe(decodeRecords({ onInvalidLine: (at) => invalid.push(at) }), toArray()));
    assert.deepEqual(records, []);
    assert.deepEqual(invalid, []);
  });

  it('marble: passes values, errors and completion through', () => {
    new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ cold, expectObservable }) => {
      const source = cold('-a-b-#', { a: event(1), b: 'junk' }, new Error('boom'));
      expectObservable(source.pipe(decodeRecords({ onInvalidLine: () => undefined }), map((record) => (record as { pid: number }).pid))).toBe('-a---#', { a: 1 }, new Error('boom'));
    });
  });

  it('stops a synchronous firehose when the consumer takes only a few', async () => {
    let produced = 0;
    const firehose = new Observable<string>((subscriber) => {
      for (let i = 0; i < 1_000_000 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(event(i));
      }
      subscriber.complete();
    });
    const first = await lastValueFrom(firehose.pipe(decodeRecords(), take(3), toArray()));
    assert.equal(first.length, 3);
    assert.ok(produced <= 4, `producer kept going: ${produced}`);
  });

  it('unsubscribing early stops consuming', async () => {
    const value = await firstValueFrom(range(0, 10).pipe(map(event), decodeRecords()));
    assert.equal((value as { pid: number }).pid, 0);
  });
});
