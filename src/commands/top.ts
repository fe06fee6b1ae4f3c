import { Args, Flags } from '@oclif/core';
import { map } from 'rxjs';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { aggregate } from '../operators/aggregate.js';
import { normalize } from '../operators/normalize.js';
import { renderStatsTable } from '../render/statsTable.js';
import type { SortKey } from '../stats.js';

export const TOP_SORT_KEYS = ['count', 'errors', 'err%', 'avg', 'p95', 'p99', 'total'] as const;

export default class Top extends StreamCommand {
  static summary = 'Per-syscall table of calls, errors and latency, like top for syscalls.';
  static description =
    'Reads SyscallEvents (NDJSON) and, when the input ends, prints one table: NAME, CAT, CALLS, ERRORS, ERR%, AVG, P95, P99, MAX, TOTAL. Names are normalised (aliases summed into their canonical syscall). Rows are red when ERR% ≥ 50 and yellow when AVG ≥ 5ms (colour only on a terminal). --json prints the stats records as one JSON array instead.';
  static examples = [
    'stracectl parse trace.txt | stracectl top',
    'stracectl capture -- ls | stracectl top --sort errors --limit 10',
    'stracectl top --json run.ndjson | jq ".[0]"',
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    sort: Flags.string({ description: 'sort rows by this column (descending)', options: [...TOP_SORT_KEYS], default: 'count' }),
    limit: Flags.integer({ description: 'show at most N rows', min: 1 }),
    json: Flags.boolean({ description: 'print the stats records as one JSON array' }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Top);
    const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    await this.runStream(
      (ctx) =>
        readRecords(ctx, { files: argv as string[], strict: flags.strict }).pipe(
          normalize(),
          aggregate({ sort: flags.sort as SortKey }),
          map((records) => {
            const shown = flags.limit === undefined ? records : records.slice(0, flags.limit);
            return flags.json ? JSON.stringify(shown, null, 2) : renderStatsTable(shown, { color });
          }),
        ),
      (text) => text,
    );
  }
}
