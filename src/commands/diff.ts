import { Args, Flags } from '@oclif/core';
import { concat, map, takeUntil, toArray } from 'rxjs';
import { BaseCommand, strictFlag } from '../command.js';
import {
  DIFF_SORT_KEYS,
  FAIL_ON_SYNTAX,
  FailOnSyntaxError,
  diffRuns,
  evaluateFailOn,
  loadRun,
  parseFailOn,
  renderDiff,
  type DiffSortKey,
  type FailCondition,
  type FailOnResult,
} from '../diff.js';
import { EXIT } from '../errors.js';
import { runPipeline } from '../io.js';

export default class Diff extends BaseCommand {
  static summary = 'Compare two runs: new and vanished syscalls, count, error-rate and latency changes; a CI gate with --fail-on.';
  static description = [
    'A and B are event NDJSON files (capture, parse) or stats (aggregate NDJSON, the JSON array of top --json, or the last snapshot of capture --summary), in any combination; "-" reads one of them from stdin. Syscall names are normalised on both sides. Each syscall is marked new, vanished, changed or unchanged, with count, errors, error_pct, avg, p50, p95, p99, max and total time of A and B and their change (absolute, and relative to A). Rows are sorted by impact: the share of the runs\' time, errors and calls that moved with the syscall.',
    "--fail-on EXPR (repeatable) exits 1 when any condition holds, naming each on stderr: 'error_pct>+5' (percentage points), 'p95>+20%' (relative), 'count>+100' or 'p99>+2ms' (absolute; latencies need a unit), '>=', '<' and '<=' with negative values for drops ('count<-50%'). Unscoped, a condition holds when any syscall present in both runs meets it (--min-count ignores rarely called ones); 'openat:p95>+20%' checks one syscall, 'total:error_pct>+2' the whole run (count, errors, error_pct, total). 'new' fails on any syscall B makes and A did not, 'vanished' the reverse, 'ptrace:new' on one. Exit 0 when no condition holds, 2 on a malformed expression.",
  ].join('\n\n');
  static examples = [
    'stracectl diff baseline.ndjson current.ndjson',
    "stracectl diff --fail-on 'error_pct>+5' --fail-on 'p95>+20%' --fail-on new baseline.json current.ndjson",
    "stracectl capture -- ./app | stracectl diff --json baseline.json - | jq '.syscalls[] | select(.status != \"unchanged\")'",
  ];
  static args = {
    a: Args.string({ description: 'the baseline run: events or stats (NDJSON or JSON array); - for stdin', required: false, ignoreStdin: true }),
    b: Args.string({ description: 'the run to compare with it', required: false, ignoreStdin: true }),
  };
  static flags = {
    json: Flags.boolean({ description: 'print the comparison as one JSON document', default: false }),
    'fail-on': Flags.string({ description: `exit 1 when this condition holds (repeatable): ${FAIL_ON_SYNTAX}`, multiple: true, multipleNonGreedy: true }),
    sort: Flags.string({ description: 'row order: impact, name, or the size of one metric\'s change', options: [...DIFF_SORT_KEYS], default: 'impact' }),
    limit: Flags.integer({ description: 'show at most N syscalls in the table', min: 1 }),
    'min-count': Flags.integer({ description: 'unscoped --fail-on conditions skip syscalls with fewer calls than this in both runs', min: 0, default: 0 }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { args: given, flags } = await this.parse(Diff);
    if (given.a === undefined || given.b === undefined) this.usageError('two runs to compare are needed: stracectl diff A B', 'e.g. stracectl diff baseline.ndjson current.ndjson');
    const args = { a: given.a, b: given.b };
    if (args.a === '-' && args.b === '-') this.usageError('only one of A and B can be stdin (-)');
    const conditions = (flags['fail-on'] ?? []).map((text): FailCondition => {
      try {
        return parseFailOn(text);
      } catch (error) {
        if (error instanceof FailOnSyntaxError) this.usageError(`--fail-on ${JSON.stringify(text)}: ${error.message}`, `expected ${FAIL_ON_SYNTAX}`);
        throw error;
      }
    });

    let verdict: FailOnResult = { matches: [], notes: [] };
    const status = await runPipeline({
      command: this.commandName,
      build: (ctx) => {
        const options = {
          strict: flags.strict,
          onInvalidLine: (location: string, reason: string) => ctx.diagnostics.warn(`${location}: ${reason} (line skipped)`),
          onNotice: (message: string) => ctx.diagnostics.info(message),
        };
        return concat(loadRun(args.a, options), loadRun(args.b, options)).pipe(
          toArray(),
          map(([a, b]) => {
            const diff = diffRuns(a!, b!, flags.sort as DiffSortKey);
            verdict = evaluateFailOn(conditions, diff, { minCount: flags['min-count'] });
            for (const note of verdict.notes) ctx.diagnostics.warn(note);
            for (const match of verdict.matches) ctx.diagnostics.info(`fail-on ${JSON.stringify(match.condition.text)} holds: ${match.message}`);
            if (!flags.json) return renderDiff(diff, { limit: flags.limit });
            const failOn = conditions.map((condition) => ({
              expr: condition.text,
              holds: verdict.matches.some((match) => match.condition === condition),
              matches: verdict.matches.filter((match) => match.condition === condition).map((match) => ({ name: match.name, message: match.message })),
            }));
            return JSON.stringify({ ...diff, fail_on: failOn }, null, 2);
          }),
          takeUntil(ctx.stop$),
        );
      },
      toLine: (text: string) => text,
    });
    process.exitCode = status !== EXIT.OK ? status : verdict.matches.length > 0 ? EXIT.RUNTIME : EXIT.OK;
  }
}
