import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StracectlError } from '../../src/errors.js';
import { ReportSession } from '../../src/report/timeline.js';
import { checkReportTarget, writeReport } from '../../src/report/write.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'stracectl-report-write-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const session = (): ReportSession => {
  const s = new ReportSession();
  s.add({ pid: 1, name: 'read', args: '3, "", 10', ret: '0', latency_ns: 1200, error: '', timestamp: '2026-11-27T20:00:00.000000Z' });
  return s;
};
const meta = { title: 'w', generatedAt: '2026-11-27T21:00:00.000Z' };

describe('writeReport', () => {
  it('replaces the file with the report and leaves no temporary file', async () => {
    const file = join(dir, 'out.html');
    writeFileSync(file, 'old');
    const bytes = await writeReport(file, session(), meta);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.equal(Buffer.byteLength(html), bytes);
    assert.deepEqual(readdirSync(dir).filter((name) => name.includes('out.html')), ['out.html']);
  });

  it('fails with OUTPUT_FAILED (exit 1) when the directory does not exist', async () => {
    await assert.rejects(writeReport(join(dir, 'missing/out.html'), session(), meta), (error: unknown) => {
      assert.ok(error instanceof StracectlError);
      assert.equal(error.code, 'OUTPUT_FAILED');
      assert.equal(error.exit, 1);
      assert.match(error.message, /cannot write .*missing\/out\.html: no such directory/);
      return true;
    });
  });

  it('removes its temporary file when the final rename fails', async () => {
    const sub = join(dir, 'rename-fails');
    mkdirSync(sub);
    const target = join(sub, 'dir.html');
    mkdirSync(target); // renaming a file onto a directory fails
    await assert.rejects(writeReport(target, session(), meta), /cannot write .*dir\.html: is a directory/);
    assert.deepEqual(readdirSync(sub), ['dir.html']);
  });
});

describe('checkReportTarget', () => {
  it('accepts a new file in a writable directory', async () => {
    await checkReportTarget(join(dir, 'new.html'));
  });

  it('rejects a directory, a missing directory and (as non-root) a read-only one', async () => {
    await assert.rejects(checkReportTarget(dir), /is a directory/);
    await assert.rejects(checkReportTarget(join(dir, 'nope/x.html')), /no such directory/);
    if (process.getuid?.() !== 0) {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      await assert.rejects(checkReportTarget(join(ro, 'x.html')), /permission denied/);
    }
  });
});
