import { Args, Flags } from '@oclif/core';
import { mergeMap } from 'rxjs';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { aggregate } from '../operators/aggregate.js';
import { GROUP_FIELDS, SORT_KEYS, type GroupField, type SortKey } from '../stats.js';

export default class Aggregate extends StreamCommand {
  static summary = 'Fold SyscallEvents into per-group stats records (counts, errors, latency percentiles).';
  static description =
    'Reads SyscallEvents (NDJSON) and, when the input ends, writes one stats record per group as NDJSON: name, category, count, errors, error_pct, total_ns, avg_ns, min_ns, max_ns, p50_ns, p95_ns, p99_ns, error_breakdown (plus pid / errno when grouped by them). Percentiles come from a streaming HDR histogram (within 1% of the exact value); memory grows with the number of groups, not events. With --interval a cumulative snapshot is written every interval, then a final one.';
  static examples = [
    'stracectl parse trace.txt | stracectl aggregate',
    'stracectl aggregate --by name,pid --sort p99 run.ndjson',
    'stracectl capture -p 42 | stracectl aggregate --interval 1s',
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    by: Flags.string({ description: 'group by these fields, comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',', options: [...GROUP_FIELDS], default: ['name'] }),
    interval: Flags.string({ description: 'also emit a cumulative snapshot every interval (1s, 500ms)' }),
    sort: Flags.string({ description: 'order of the records', options: [...SORT_KEYS], default: 'count' }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Aggregate);
    const intervalMs = flags.interval === undefined ? undefined : this.durationFlag('interval', flags.interval, 10e6) / 1e6;
    const by = [...new Set(flags.by)] as GroupField[];
    await this.runStream((ctx) =>
      readRecords(ctx, { files: argv as string[], strict: flags.strict }).pipe(
        aggregate({ by, intervalMs, sort: flags.sort as SortKey }),
        mergeMap((snapshot) => snapshot),
      ),
    );
  }
}
