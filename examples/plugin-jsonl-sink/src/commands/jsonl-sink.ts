/**
 * A complete stracectl sink in one file, using only the public API
 * (`import … from 'stracectl'`): NDJSON input, validation, batching, --tee,
 * retries and flush-on-exit all come from SinkCommand.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { SinkCommand, normalizeEvent, type SyscallEvent } from 'stracectl';

export default class JsonlSink extends SinkCommand {
  static summary = 'Append SyscallEvents to a JSON-lines file (example plugin).';
  static examples = ['stracectl capture -p 42 | stracectl jsonl-sink --out events.jsonl --errors-only --tee | stracectl top'];
  static flags = {
    out: Flags.string({ description: 'file to append to', required: true }),
    'errors-only': Flags.boolean({ description: 'keep only failed calls', default: false }),
  };

  private file: FileHandle | undefined;
  private errorsOnly = false;
  private written = 0;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(JsonlSink);
    this.errorsOnly = flags['errors-only'];
    this.file = await open(flags.out, 'a');
    await this.runSink({ files: argv as string[], flags });
  }

  protected async write(batch: SyscallEvent[]): Promise<void> {
    const lines = batch
      .filter((event) => !this.errorsOnly || event.error !== '')
      .map((event) => JSON.stringify({ ...normalizeEvent(event), sink: 'jsonl' }) + '\n');
    // One append per batch: a retry after a failure re-appends the whole batch, never half of it.
    await this.file!.appendFile(lines.join(''));
    this.written += lines.length;
  }

  protected async close(): Promise<void> {
    await this.file?.close();
    this.logger.info(`${this.written} event${this.written === 1 ? '' : 's'} appended`);
  }
}
