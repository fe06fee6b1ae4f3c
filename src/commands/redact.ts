import { Args, Flags } from '@oclif/core';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { REDACT_LEVELS, redact, type RedactLevel } from '../operators/redact.js';

export default class Redact extends StreamCommand {
  static summary = 'Mask paths, strings, addresses, user names and secrets in SyscallEvents before sharing a trace.';
  static description = [
    'Reads SyscallEvents (NDJSON) and writes them with what they reveal masked in args, ret decorations (`= 3</home/al/x>`) and fd_path. Every level masks secrets (key=value tokens such as password=/token=/api_key=, Bearer tokens, JWTs, AWS keys, Authorization headers, private keys), e-mail addresses, user names (/home/NAME, user=NAME, uid=0(NAME), passwd lines) and IP addresses.',
    'low: keeps the basename of paths ("<dir>/id_rsa") and string contents; medium (default): also whole paths, ports and every string\'s contents; high: also uid/gid values and inode/device numbers.',
    'Strings are decoded (strace -x hex too) before matching, and a string cut by strace\'s truncation ("..."...) is matched to its end, so a partial secret never survives. Event count, names and all other fields are unchanged.',
    '--hash replaces values with a stable short hash (<path:372f8b>), so the same path or address still correlates across events and across runs that use the same --salt; secrets are never hashed. Without a salt, hashes of guessable values (common paths, ports) can be reversed by trying candidates: pass a private --salt when sharing.',
  ].join('\n\n');
  static examples = [
    'stracectl capture -- ./app | stracectl redact > shareable.ndjson',
    "stracectl redact --level low --pattern 'acme-[0-9]{6}' run.ndjson",
    'STRACECTL_REDACT_SALT=$(cat ~/.stracectl-salt) stracectl redact --hash --level high run.ndjson',
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    level: Flags.string({ description: 'how much to mask: low, medium or high (see the description)', options: [...REDACT_LEVELS], default: 'medium' }),
    pattern: Flags.string({ description: 'also mask every match of this JavaScript regular expression as <redacted> (repeatable)', multiple: true, multipleNonGreedy: true }),
    hash: Flags.boolean({ description: 'replace values by a stable short hash (<path:372f8b>) instead of a bare placeholder', default: false }),
    salt: Flags.string({ description: 'key of the --hash hashes: same salt, same hashes across runs', env: 'STRACECTL_REDACT_SALT' }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Redact);
    const patterns = (flags.pattern ?? []).map((source) => {
      let pattern: RegExp;
      try {
        pattern = new RegExp(source, 'g');
      } catch (error) {
        this.usageError(`--pattern: ${(error as Error).message}`);
      }
      if (pattern.test('')) this.usageError(`--pattern ${JSON.stringify(source)} matches the empty string`, 'use + instead of * so that it needs at least one character');
      return pattern;
    });
    const operator = redact({ level: flags.level as RedactLevel, patterns, hash: flags.hash, salt: flags.salt });
    await this.runStream((ctx) => readRecords(ctx, { files: argv as string[], strict: flags.strict }).pipe(operator));
  }
}
