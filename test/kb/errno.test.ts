import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { errnoInfo, errnoName, listErrnos } from '../../src/kb/errno.js';
import { fixturesDir, repoRoot } from '../helpers.js';

const traces = path.join(fixturesDir, 'strace');

describe('errno table', () => {
  it('agrees with node on every errno node knows (os.constants.errno)', () => {
    const known = Object.entries(constants.errno);
    assert.ok(known.length > 70);
    for (const [name, number] of known) assert.equal(errnoInfo(name)?.number, number, name);
  });

  it('covers every Linux errno number 1..133 (41 and 58 are unassigned)', () => {
    for (let n = 1; n <= 133; n++) {
      if (n === 41 || n === 58) assert.equal(errnoName(n), undefined);
      else assert.ok(errnoName(n), `errno ${n} has a name`);
    }
    assert.equal(errnoName(11), 'EAGAIN');
    assert.equal(errnoInfo('EWOULDBLOCK')?.alias, 'EAGAIN');
    assert.equal(errnoInfo('EDEADLOCK')?.number, 35);
  });

  it('has the message strace prints for every errno in the recorded traces', () => {
    const seen = new Map<string, string>();
    for (const file of readdirSync(traces).filter((f) => f.endsWith('.txt'))) {
      for (const m of readFileSync(path.join(traces, file), 'utf8').matchAll(/= (?:-1|\?) (E[A-Z0-9_]+) \(([^)]*)\)/g)) {
        seen.set(m[1] ?? '', m[2] ?? '');
      }
    }
    assert.ok(seen.size >= 14, `found ${seen.size} errnos in the traces`);
    assert.ok(seen.has('ERESTARTSYS') && seen.has('ERESTARTNOHAND') && seen.has('ERESTART_RESTARTBLOCK'));
    for (const [name, message] of seen) assert.equal(errnoInfo(name)?.message, message, name);
  });

  it("includes strace's kernel-internal restart codes with their meaning", () => {
    for (const [name, number] of [['ERESTARTSYS', 512], ['ERESTARTNOINTR', 513], ['ERESTARTNOHAND', 514], ['ERESTART_RESTARTBLOCK', 516]] as const) {
      const info = errnoInfo(name);
      assert.equal(info?.number, number);
      assert.equal(info?.pseudo, true);
      assert.match(info?.note ?? '', /signal/);
    }
    assert.equal(errnoInfo('ENOENT')?.pseudo, false);
    assert.equal(listErrnos().filter((e) => e.pseudo).length, 4);
  });

  it('accepts lower case and a leading minus; unknown names are undefined', () => {
    assert.equal(errnoInfo('-enoent')?.number, 2);
    assert.equal(errnoInfo('ENOTANERRNO'), undefined);
    assert.equal(errnoInfo('constructor'), undefined);
    assert.equal(errnoInfo('toString'), undefined);
  });

  it('the committed table is what scripts/gen-errno.mjs generates from this machine', { skip: !existsSync('/usr/include/asm-generic/errno.h') && 'kernel headers not installed' }, () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'scripts/gen-errno.mjs'), '--check'], { encoding: 'utf8' });
    assert.match(out, /up to date \(\d+ names\)/);
  });
});
