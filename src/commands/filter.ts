import { Args, Flags } from '@oclif/core';
import { StreamCommand, strictFlag } from '../command.js';
import { parallelFilter } from '../parallel/parallelFilter.js';
import { CATEGORIES, type Category } from '../event.js';

export default class Filter extends StreamCommand {
  static summary = 'Keep the SyscallEvents that match every given condition.';
  static description =
    'Reads SyscallEvents (NDJSON) and writes those that match ALL the options given (AND); --invert keeps the rest. Names match through aliases (--name stat also keeps newfstatat). Records with a "type" field (signals, exits, lost-event reports) always pass through.';
  static examples = [
    'stracectl parse trace.txt | stracectl filter --errors',
    'stracectl filter --name openat,connect --min-latency 5ms run.ndjson',
    "stracectl filter --category NET,FS --path '/etc/*' --invert < run.ndjson",
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    errors: Flags.boolean({ description: 'only failed calls (error is set)', exclusive: ['ok'] }),
    ok: Flags.boolean({ description: 'only successful calls', exclusive: ['errors'] }),
    name: Flags.string({ description: 'syscall names, comma-separated (aliases match their canonical name)', multiple: true, multipleNonGreedy: true, delimiter: ',' }),
    category: Flags.string({ description: 'categories, comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',', options: [...CATEGORIES] }),
    pid: Flags.integer({ description: 'process ids, repeatable or comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',' }),
    errno: Flags.string({ description: 'errno names (ENOENT,EACCES), comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',' }),
    'min-latency': Flags.string({ description: 'minimum time in the syscall, with a unit: 500us, 5ms, 1s' }),
    path: Flags.string({ description: "glob matched against each quoted string and -y path in args ('*' also matches '/')" }),
    invert: Flags.boolean({ description: 'keep the events that do NOT match' }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Filter);
    const minLatencyNs = flags['min-latency'] === undefined ? undefined : this.durationFlag('min-latency', flags['min-latency']);
    const options = {
      errors: flags.errors,
      ok: flags.ok,
      names: flags.name,
      categories: flags.category as Category[] | undefined,
      pids: flags.pid,
      errnos: flags.errno,
      minLatencyNs,
      pathGlob: flags.path,
      invert: flags.invert,
    };
    await this.runStream((ctx) => parallelFilter(ctx, { files: argv as string[], conditions: options, strict: flags.strict }));
  }
}
