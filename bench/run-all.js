// `npm run bench`: every benchmark script in bench/, one after another, printing numbers.
// Uses the built CLI (npm run build first). Nothing here asserts on time.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((file) => /\.(mjs|ts)$/.test(file) && file !== 'lib.mjs' && !file.endsWith('.d.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n== ${script}`);
  const args = script.endsWith('.ts') ? ['--import', 'tsx', join(here, script)] : [join(here, script)];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
