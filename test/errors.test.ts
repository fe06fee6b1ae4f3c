import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOG, EXIT, StracectlError, diagnostic, printable } from '../src/errors.js';
import { repoRoot } from './helpers.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(entry) ? [path] : [];
  });
}

describe('error catalog', () => {
  const docs = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');

  it('documents every code with its exit status in docs/errors.md', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOG)) {
      assert.match(docs, new RegExp(`^\\| ${code} \\| ${spec.exit} \\| `, 'm'), `${code} is not documented`);
    }
  });

  it('every code is used somewhere in the sources, and every code used exists', () => {
    const sources = sourceFiles(join(repoRoot, 'src')).map((file) => readFileSync(file, 'utf8')).join('\n');
    const used = new Set([...sources.matchAll(/StracectlError\(\s*'([A-Z_]+)'/g)].map((match) => match[1]!));
    for (const code of used) assert.ok(code in ERROR_CATALOG, `unknown code ${code}`);
    for (const code of Object.keys(ERROR_CATALOG)) if (code !== 'INTERNAL') assert.ok(used.has(code) || sources.includes(`'${code}'`), `${code} is never raised`);
  });

  it('exit statuses follow the house rules', () => {
    const allowed = new Set<number>([EXIT.RUNTIME, EXIT.USAGE, EXIT.DATA, EXIT.INTERNAL, 126, 127]);
    for (const [code, spec] of Object.entries(ERROR_CATALOG)) assert.ok(allowed.has(spec.exit), `${code}: ${spec.exit}`);
    const error = new StracectlError('USAGE', 'bad flag');
    assert.equal(error.exit, 2);
    assert.ok(error.hint);
  });

  it('diagnostics escape control characters from untrusted text', () => {
    assert.equal(diagnostic('filter', 'a\u001b[2Jb'), 'stracectl filter: a\\x1b[2Jb');
    assert.equal(printable('bell\u0007'), 'bell\\x07');
  });
});
