/**
 * Proof that the plugin API is usable from outside: the example third-party
 * plugin (examples/plugin-jsonl-sink) is copied out of the repository, built
 * against the public `stracectl` package only, `stracectl plugins link`ed into
 * a throw-away HOME / XDG_DATA_HOME, used in a pipeline, refused when it asks
 * for an API version this stracectl does not provide, and uninstalled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binRun, fixturesDir, readJson, repoRoot } from '../helpers.js';

const eventsPath = join(fixturesDir, 'ndjson/events.ndjson');
let home: string;
let pluginDir: string;
let env: NodeJS.ProcessEnv;

function sh(script: string) {
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(() => {
  home = mkdtempSync(join(tmpdir(), 'stracectl-plugin-home-'));
  env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    TZ: 'UTC',
    NO_COLOR: '1',
    OCLIF_DISABLE_LINKED_ESM_WARNING: '1',
    RUN: `${process.execPath} ${binRun}`,
  };
  pluginDir = join(home, 'plugin-jsonl-sink');
  cpSync(join(repoRoot, 'examples/plugin-jsonl-sink'), pluginDir, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
  });
  // Stands in for the plugin's own `npm install`: stracectl, @oclif/core and typescript resolve from here.
  symlinkSync(join(repoRoot, 'node_modules'), join(pluginDir, 'node_modules'), 'dir');
});
after(() => rmSync(home, { recursive: true, force: true }));

describe('example third-party plugin (plugin-jsonl-sink)', () => {
  it('builds against the public API only', () => {
    const result = sh(`cd '${pluginDir}' && '${process.execPath}' node_modules/typescript/bin/tsc -p tsconfig.json`);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const source = readFileSync(join(pluginDir, 'src/commands/jsonl-sink.ts'), 'utf8');
    assert.deepEqual([...source.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]).sort(), ['@oclif/core', 'node:fs/promises', 'stracectl']);
  });

  it('is linked with `stracectl plugins link` into a temporary data dir', () => {
    const link = sh(`$RUN plugins link '${pluginDir}' --no-install`);
    assert.equal(link.status, 0, link.stderr);
    const list = sh('$RUN plugins');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /stracectl-plugin-jsonl-sink 1\.0\.0 \(link\)/);
    assert.ok(readFileSync(join(home, 'data/stracectl/package.json'), 'utf8').includes(pluginDir), 'recorded in the temporary XDG_DATA_HOME');
  });

  it('works in a pipeline: filter | jsonl-sink --tee | aggregate', () => {
    const out = join(home, 'errors.jsonl');
    const result = sh(`$RUN filter --errors '${eventsPath}' | $RUN jsonl-sink --out '${out}' --tee --batch-size 7 | $RUN aggregate; echo "status=\${PIPESTATUS[*]}" >&2`);
    assert.match(result.stderr, /status=0 0 0/);
    assert.match(result.stderr, /stracectl jsonl-sink: 190 events appended/);
    const written = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(written.length, 190); // total_errors of events.expected.json
    assert.ok(written.every((event) => event.sink === 'jsonl' && event.error !== '' && typeof event.category === 'string'));
    assert.ok(written.some((event) => event.raw_name === 'newfstatat' && event.name === 'fstat'), 'events were normalised by the public normalizeEvent');
    // --tee handed every event on: aggregate downstream saw all 190 failures.
    const stats = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { errors: number; count: number });
    const expected = readJson<{ total_errors: number }>(join(fixturesDir, 'ndjson/events.expected.json'));
    assert.equal(stats.reduce((sum, record) => sum + record.errors, 0), expected.total_errors);
    assert.equal(stats.reduce((sum, record) => sum + record.count, 0), 190);
  });

  it('inherits the sink behaviour: bad lines are reported by line number, --strict exits 65', () => {
    const out = join(home, 'bad.jsonl');
    const bad = join(fixturesDir, 'ndjson/bad.ndjson');
    const lenient = sh(`$RUN jsonl-sink --out '${out}' < '${bad}'`);
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.match(lenient.stderr, /stracectl jsonl-sink: stdin:4: /);
    assert.match(lenient.stderr, /skipped 7 invalid lines/);
    assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 14);
    const strict = sh(`$RUN jsonl-sink --strict --out '${join(home, 'strict.jsonl')}' < '${bad}'`);
    assert.equal(strict.status, 65, strict.stderr);
  });

  it('is refused when it declares a plugin API this stracectl does not provide', () => {
    const pjsonPath = join(pluginDir, 'package.json');
    const original = readFileSync(pjsonPath, 'utf8');
    try {
      const pjson = JSON.parse(original) as { stracectl: { apiVersion: string } };
      pjson.stracectl.apiVersion = '^9.0';
      writeFileSync(pjsonPath, JSON.stringify(pjson));
      const result = sh(`$RUN jsonl-sink --out '${join(home, 'never.jsonl')}' < '${eventsPath}'`);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /^stracectl jsonl-sink: stracectl-plugin-jsonl-sink needs stracectl plugin API \^9\.0, but this stracectl provides \d+\.\d+\.\d+\nhint: /);
      assert.equal(result.stdout, '');
    } finally {
      writeFileSync(pjsonPath, original);
    }
  });

  it('is removed with `stracectl plugins uninstall`', () => {
    const result = sh('$RUN plugins uninstall stracectl-plugin-jsonl-sink');
    assert.equal(result.status, 0, result.stderr);
    const gone = sh(`$RUN jsonl-sink --out '${join(home, 'x.jsonl')}' < /dev/null`);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /command jsonl-sink not found/);
  });
});
