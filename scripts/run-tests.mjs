#!/usr/bin/env node
// Runs every test file under test/ (or the paths given) with node's test runner
// through tsx. Node 20's --test does not expand globs or find .ts files itself.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((entry) => entry !== 'fixtures' && entry !== 'node_modules')
      .sort()
      .flatMap((entry) => collect(join(path, entry)));
  }
  return /\.test\.tsx?$/.test(path) ? [path] : [];
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ['test']).flatMap(collect);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '1';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } },
);
process.exit(result.status ?? 1);
