import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Config } from '@oclif/core';
import { readJson, repoRoot } from './helpers.js';

describe('man pages (generated at build from command metadata)', async () => {
  const config = await Config.load({ root: repoRoot });
  const aliases = new Set(config.commands.flatMap((command) => command.aliases ?? []));
  const commands = config.commands.filter((command) => !command.hidden && !aliases.has(command.id) && command.pluginType === 'core');
  const pkg = readJson<{ man: string[] }>(join(repoRoot, 'package.json'));

  it('package.json "man" lists stracectl.1 and one page per command, and each exists', () => {
    const expected = ['./man/stracectl.1', ...commands.map((command) => `./man/stracectl-${command.id.replace(/[: ]/g, '-')}.1`)].sort();
    assert.deepEqual([...pkg.man].sort(), expected);
    for (const page of pkg.man) assert.ok(existsSync(join(repoRoot, page)), page);
  });

  for (const command of commands.filter((c) => ['parse', 'filter', 'aggregate', 'top', 'capture', 'explain', 'serve', 'report', 'redact', 'diff'].includes(c.id))) {
    it(`stracectl-${command.id}.1 documents every flag and the exit statuses`, () => {
      const page = readFileSync(join(repoRoot, `man/stracectl-${command.id}.1`), 'utf8');
      assert.match(page, /^\.TH /);
      assert.match(page, /\.SH NAME\n/);
      assert.match(page, /\.SH EXIT STATUS/);
      for (const [name, flag] of Object.entries(command.flags)) {
        if (flag.hidden) continue;
        assert.ok(page.includes(`\\-\\-${name.replace(/-/g, '\\-')}`), `--${name} missing from the ${command.id} page`);
      }
    });
  }
});
