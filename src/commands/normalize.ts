import { Args } from '@oclif/core';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { normalize } from '../operators/normalize.js';

export default class Normalize extends StreamCommand {
  static summary = 'Rewrite alias syscall names to their canonical name and add the category.';
  static description =
    'Reads SyscallEvents (NDJSON) and writes them with canonical names (newfstatat → fstat, pipe2 → pipe, …); the original name is kept in raw_name and category is set (I/O, FS, NET, MEM, PROC, SIG, OTHER). Unknown fields pass through untouched.';
  static examples = ['stracectl parse --no-normalize trace.txt | stracectl normalize', 'stracectl normalize run.ndjson > normalized.ndjson'];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = { strict: strictFlag };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Normalize);
    await this.runStream((ctx) => readRecords(ctx, { files: argv as string[], strict: flags.strict }).pipe(normalize()));
  }
}
