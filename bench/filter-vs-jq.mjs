// `stracectl filter --errors` events/s next to `jq -c 'select(.error != "")'`
// on the same file, measured in one run. Target: ≥ 4× jq.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestOf, cli, fixtures, fmt } from './lib.mjs';

const copies = Number(process.env.BENCH_COPIES ?? 2000); // 1266 events × 2000 ≈ 2.5M events (start-up amortised for both tools)
const dir = mkdtempSync(join(tmpdir(), 'stracectl-bench-'));
try {
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, readFileSync(join(fixtures, 'ndjson/events.ndjson'), 'utf8').repeat(copies));
  const events = 1266 * copies;
  const ours = await bestOf(2, `${cli} filter --errors ${file} > /dev/null`);
  const jq = await bestOf(2, `jq -c 'select(.error != "")' ${file} > /dev/null`);
  console.log(`filter --errors: ${fmt(events / ours)} events/s (${ours.toFixed(2)} s for ${fmt(events)} events)`);
  console.log(`jq select:       ${fmt(events / jq)} events/s (${jq.toFixed(2)} s)`);
  console.log(`ratio filter/jq: ${(jq / ours).toFixed(2)}x (target >= 4x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
