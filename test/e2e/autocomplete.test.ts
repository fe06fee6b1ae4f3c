/**
 * Shell completion through @oclif/plugin-autocomplete: the generated bash
 * and zsh scripts know our commands and flags, and bash really completes them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers.js';

let cacheDir: string;
const env = (): NodeJS.ProcessEnv => ({ STRACECTL_CACHE_DIR: cacheDir });

before(() => {
  // oclif keeps the completion scripts in <cache dir>/autocomplete; keep the test's away from the user's.
  cacheDir = mkdtempSync(join(tmpdir(), 'stracectl-autocomplete-'));
  const refresh = runCli(['autocomplete', '--refresh-cache'], { env: env() });
  assert.equal(refresh.status, 0, refresh.stderr);
});
after(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Runs bash's completion function for a command line (the word under the cursor is the last). */
function complete(words: string[]): string[] {
  const script = [
    `source ${JSON.stringify(join(cacheDir, 'autocomplete/bash_setup'))}`,
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${words.join(' ')}'`,
    '_stracectl_autocomplete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe('stracectl autocomplete', () => {
  it('`autocomplete script bash` prints the line that sources the generated setup', () => {
    const result = runCli(['autocomplete', 'script', 'bash'], { env: env() });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${cacheDir.replace(/[./]/g, '\\$&')}/autocomplete/bash_setup`));
    assert.match(result.stdout, /# stracectl autocomplete setup/);
  });

  it('the generated bash and zsh functions list our commands and their flags', () => {
    const bash = readFileSync(join(cacheDir, 'autocomplete/functions/bash/stracectl.bash'), 'utf8');
    for (const line of ['redact --level --pattern --hash --salt --strict', 'diff --json --fail-on --sort --limit --min-count --strict']) assert.ok(bash.includes(line), line);
    for (const command of ['filter', 'aggregate', 'top', 'explain', 'normalize', 'serve', 'report', 'plugins']) assert.match(bash, new RegExp(`^${command} `, 'm'), command);
    const zshPath = join(cacheDir, 'autocomplete/functions/zsh/_stracectl');
    assert.ok(existsSync(zshPath));
    const zsh = readFileSync(zshPath, 'utf8');
    assert.ok(zsh.startsWith('#compdef stracectl'));
    for (const needle of ['"redact[Mask paths', '"diff[Compare two runs', '\nredact)\n', '--level"[how much to mask', '"*"--fail-on"[exit 1 when']) {
      assert.ok(zsh.includes(needle), `zsh completion lacks ${JSON.stringify(needle)}`);
    }
  });

  it('bash completes command names and flags', () => {
    assert.deepEqual(complete(['stracectl', 're']), ['redact', 'report']);
    assert.deepEqual(complete(['stracectl', 'dif']), ['diff']);
    assert.deepEqual(complete(['stracectl', 'diff', '--fa']), ['--fail-on']);
    assert.deepEqual(complete(['stracectl', 'redact', '--le']), ['--level']);
    assert.ok(complete(['stracectl', 'filter', '--']).includes('--min-latency'));
  });
});
