#!/usr/bin/env node
// Generates man/stracectl.1 and man/stracectl-<command>.1 from the oclif
// command metadata (summary, description, flags, args, examples), so the
// pages can never drift from `--help`. Run by `npm run build`.
import { mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manDir = join(root, 'man');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const date = new Date().toISOString().slice(0, 10);

/** roff-escape a line of text: backslashes, leading dots/quotes, hyphens in options. */
function esc(text) {
  return String(text ?? '')
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function flagSynopsis(name, flag) {
  const long = `\\fB\\-\\-${esc(name)}\\fR`;
  const short = flag.char ? `\\fB\\-${flag.char}\\fR, ` : '';
  const value = flag.type === 'option' ? ` \\fI${esc(flag.options ? flag.options.join('|') : (flag.helpValue ?? 'VALUE'))}\\fR` : '';
  return short + long + value;
}

function page(id, command) {
  const title = id ? `stracectl-${id.replace(/[: ]/g, '-')}` : 'stracectl';
  const lines = [
    `.TH ${title.toUpperCase().replace(/-/g, '\\-')} 1 "${date}" "stracectl ${pkg.version}" "stracectl manual"`,
    '.SH NAME',
    `${esc(title)} \\- ${esc(command.summary ?? '')}`,
    '.SH SYNOPSIS',
    `\\fBstracectl ${esc(id.replace(/:/g, ' '))}\\fR${Object.keys(command.flags ?? {}).length ? ' [\\fIOPTIONS\\fR]' : ''}${Object.keys(command.args ?? {})
      .map((arg) => ` [\\fI${esc(arg.toUpperCase())}\\fR...]`)
      .join('')}`,
  ];
  if (command.description) lines.push('.SH DESCRIPTION', esc(command.description));
  const flags = Object.entries(command.flags ?? {}).filter(([, flag]) => !flag.hidden);
  if (flags.length) {
    lines.push('.SH OPTIONS');
    for (const [name, flag] of flags) {
      lines.push('.TP', flagSynopsis(name, flag), esc(flag.description ?? flag.summary ?? ''));
      if (flag.default !== undefined && typeof flag.default !== 'function') lines.push(`Default: ${esc(JSON.stringify(flag.default))}.`);
    }
  }
  const examples = (command.examples ?? []).map((example) => (typeof example === 'string' ? example : example.command));
  if (examples.length) {
    lines.push('.SH EXAMPLES');
    for (const example of examples) lines.push('.PP', '.nf', esc(String(example).replace(/<%= config.bin %>/g, 'stracectl')), '.fi');
  }
  lines.push('.SH EXIT STATUS', '0 success (also when the reader of stdout went away); 1 runtime failure; 2 usage error; 65 invalid input with \\-\\-strict; 70 internal error; 130/143 after SIGINT/SIGTERM; \\fBcapture\\fR exits with the traced command\'s status.');
  lines.push('.SH SEE ALSO', 'stracectl(1), strace(1), bpftrace(8)');
  return { file: `${title}.1`, text: lines.join('\n') + '\n' };
}

const config = await Config.load({ root });
const aliases = new Set(config.commands.flatMap((command) => command.aliases ?? []));
const commands = config.commands.filter(
  (command) => !command.hidden && !aliases.has(command.id) && command.pluginType !== 'user' && command.pluginType !== 'link',
);
mkdirSync(manDir, { recursive: true });
for (const file of readdirSync(manDir)) if (file.endsWith('.1')) rmSync(join(manDir, file));

const written = [];
for (const command of commands.sort((a, b) => a.id.localeCompare(b.id))) {
  const { file, text } = page(command.id, command);
  writeFileSync(join(manDir, file), text);
  written.push(`./man/${file}`);
}
const overview = [
  `.TH STRACECTL 1 "${date}" "stracectl ${pkg.version}" "stracectl manual"`,
  '.SH NAME',
  `stracectl \\- ${esc(pkg.description)}`,
  '.SH SYNOPSIS',
  '\\fBstracectl\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
  '.SH DESCRIPTION',
  esc('Every command reads and/or writes NDJSON SyscallEvents, so commands combine in pipelines: stracectl capture -p 42 | stracectl filter --errors | stracectl top.'),
  '.SH COMMANDS',
  ...commands.flatMap((command) => ['.TP', `\\fB${esc(command.id.replace(/:/g, ' '))}\\fR`, esc(command.summary ?? '')]),
  '.SH SEE ALSO',
  ...commands.map((command) => `stracectl\\-${esc(command.id.replace(/[: ]/g, '-'))}(1)`).join(', ').split('\n'),
];
writeFileSync(join(manDir, 'stracectl.1'), overview.join('\n') + '\n');
written.unshift('./man/stracectl.1');

const declared = [...(pkg.man ?? [])].sort();
if (JSON.stringify(declared) !== JSON.stringify([...written].sort())) {
  // test/man.test.ts fails on this; the build itself goes on so the CLI stays usable.
  console.error(`gen-man: warning: package.json "man" should list exactly the generated pages:\n${JSON.stringify(written)}`);
}
