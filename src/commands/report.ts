import { Args, Flags } from '@oclif/core';
import { concatWith, defer, ignoreElements, tap } from 'rxjs';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { formatCount } from '../report/charts.js';
import { ReportSession } from '../report/timeline.js';
import { checkReportTarget, writeReport } from '../report/write.js';

export default class Report extends StreamCommand {
  static summary = 'Write a self-contained HTML report of a trace.';
  static description =
    'Reads SyscallEvents (NDJSON) from stdin or files and, when the input ends (or on Ctrl-C), writes one HTML file: summary cards, calls by category, calls over time, the sortable stats table with P50/P95/P99, errors by errno, recent failing calls with their args, latency histograms, and triage hints with knowledge-base notes for flagged syscalls. The file loads nothing from the network, escapes all trace text, and stays small (aggregates and capped samples) however long the trace. It is replaced atomically.';
  static examples = [
    'stracectl capture -- curl -s example.org | stracectl report -o curl.html --command "curl -s example.org"',
    'stracectl parse old-trace.txt | stracectl report -o report.html --title "nightly build"',
    'stracectl report -o report.html run1.ndjson run2.ndjson',
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    output: Flags.string({ char: 'o', description: 'the HTML file to write (required)' }),
    title: Flags.string({ description: 'title shown in the report header' }),
    command: Flags.string({ description: 'the traced command line, shown in the header' }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Report);
    // Checked here rather than with `required: true` so the message names the flag in one line.
    if (flags.output === undefined || flags.output === '') this.usageError('missing -o/--output FILE: where to write the HTML report', 'stracectl report -o report.html < events.ndjson');
    const output = flags.output;
    await checkReportTarget(output);
    const session = new ReportSession();
    await this.runStream((ctx) =>
      readRecords(ctx, { files: argv as string[], strict: flags.strict }).pipe(
        tap((record) => session.add(record)),
        ignoreElements(),
        concatWith(
          defer(async () => {
            const bytes = await writeReport(output, session, { title: flags.title, command: flags.command, generatedAt: new Date().toISOString() });
            ctx.diagnostics.info(`wrote ${output} (${formatCount(session.events)} calls, ${formatCount(Math.ceil(bytes / 1024))} KiB)`);
          }).pipe(ignoreElements()),
        ),
      ),
    );
  }
}
