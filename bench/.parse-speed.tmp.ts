import { createReadStream } from 'node:fs';
import { linesFromStream } from '../src/io.js';
import { parseStrace } from '../src/operators/parseStrace.js';
import { normalize } from '../src/operators/normalize.js';
import { serializeRecord } from '../src/event.js';
const t0 = process.hrtime.bigint();
let n = 0, bytes = 0;
linesFromStream(createReadStream(process.argv[2]!, { highWaterMark: 256 * 1024 }), { name: 'x' }).pipe(parseStrace({ pidLookahead: 0 }), normalize()).subscribe({
  next: (r) => { n++; bytes += serializeRecord(r).length; },
  complete: () => { const s = Number(process.hrtime.bigint() - t0) / 1e9; console.log(n, 'events', s.toFixed(2), 's', Math.round(n / s), 'ev/s'); },
});
