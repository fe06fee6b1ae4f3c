/** lineChunksFromStream: runs of whole lines, the cap on lines that outgrow it across reads, stopping; linesFromStream on top of it; BatchedWriter giving lent bytes back. */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { lastValueFrom, take, toArray } from 'rxjs';
import { BatchedWriter, lineChunksFromStream, linesFromStream, type LineChunk } from '../src/io.js';
import { lend } from '../src/lines.js';

function chunksOf(pieces: Array<string | Buffer>, maxLineBytes?: number): Promise<LineChunk[]> {
  return lastValueFrom(lineChunksFromStream(Readable.from(pieces.map((p) => Buffer.from(p))), { name: 'in', maxLineBytes }).pipe(toArray()));
}

describe('lineChunksFromStream', () => {
  it('emits whole lines only, carrying a cut line to the next read; the last line gets its newline', async () => {
    assert.deepEqual(await chunksOf(['a\nb', 'c\nd', 'e', '\nf']), ['a\n', 'bc\n', 'de\n', 'f\n']);
    assert.deepEqual(await chunksOf(['a\r\n\n', 'b\n']), ['a\r\n\n', 'b\n']);
    assert.deepEqual(await chunksOf([]), []);
  });

  it('keeps a UTF-8 character cut between reads whole', async () => {
    const bytes = Buffer.from('é€😀\n');
    const chunks = await chunksOf([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4, 8), bytes.subarray(8)]);
    assert.deepEqual(chunks, ['é€😀\n']);
  });

  it('a line that outgrows the cap across reads comes as one OversizedLine with its length; lines after it are kept', async () => {
    assert.deepEqual(await chunksOf(['ok\nxxxx', 'xxxx', 'xx\nok2\n'], 5), ['ok\n', { oversized: 10 }, 'ok2\n']);
    assert.deepEqual(await chunksOf(['xxxxxxxx', 'xx'], 5), [{ oversized: 10 }]);
    // Within one read the consumer checks the cap itself: the line comes as it is.
    assert.deepEqual(await chunksOf(['xxxxxxxx\n'], 5), ['xxxxxxxx\n']);
  });

  it('unsubscribing stops reading', async () => {
    let reads = 0;
    const stream = new Readable({
      read() {
        reads++;
        this.push('line\n');
      },
    });
    const chunks = await lastValueFrom(lineChunksFromStream(stream, { name: 'in' }).pipe(take(3), toArray()));
    assert.equal(chunks.length, 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(stream.destroyed);
    assert.ok(reads < 10, `${reads} reads`);
  });

  it('a missing file is a FILE_NOT_FOUND error naming it', async () => {
    await assert.rejects(lastValueFrom(lineChunksFromStream(createReadStream('/nonexistent/x'), { name: '/nonexistent/x' })), /cannot read \/nonexistent\/x: no such file/);
  });
});

describe('linesFromStream', () => {
  it('one line each, terminators (\\n, \\r\\n) removed, blank lines kept, the last line without a newline too', async () => {
    const lines = linesFromStream(Readable.from(['a\r\n\nb', 'c\n', 'd'].map((p) => Buffer.from(p))), { name: 'in' });
    assert.deepEqual(await lastValueFrom(lines.pipe(toArray())), ['a', '', 'bc', 'd']);
  });

  it('a line over the cap, within a read or across reads, is an empty line reported with its number and whole length', async () => {
    const reported: Array<[string, number]> = [];
    const lines = linesFromStream(Readable.from(['ok\nxxxxxxx\nyyyy', 'yyyy', '\nlast\n'].map((p) => Buffer.from(p))), {
      name: 'in',
      maxLineBytes: 5,
      onOversizedLine: (location, length) => reported.push([location, length]),
    });
    assert.deepEqual(await lastValueFrom(lines.pipe(toArray())), ['ok', '', '', 'last']);
    assert.deepEqual(reported, [['in:2', 7], ['in:3', 8]]);
  });
});

/** A destination whose writes complete only when the test says so. */
function heldDestination(): { out: Writable; written: string[]; complete: (error?: Error) => void } {
  const pending: Array<(error?: Error) => void> = [];
  const written: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      pending.push(callback);
    },
  });
  return { out, written, complete: (error) => pending.shift()!(error) };
}

describe('BatchedWriter.writeBytes', () => {
  it('gives lent bytes back once they are written, not before, and not when the write failed (reader gone)', async () => {
    const { out, written, complete } = heldDestination();
    const writer = new BatchedWriter(out);
    const given: string[] = [];
    writer.writeBytes(lend(Buffer.from('a\n'), () => given.push('a')));
    writer.writeBytes(Buffer.from('b\n'));
    writer.writeBytes(lend(Buffer.from('c\n'), () => given.push('c')));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ['a\n']);
    assert.deepEqual(given, []);
    complete();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(given, ['a']);
    complete();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ['a\n', 'b\n', 'c\n']);
    complete(Object.assign(new Error('reader gone'), { code: 'EPIPE' }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(given, ['a']);
    assert.equal(writer.closed, true);
  });
});
