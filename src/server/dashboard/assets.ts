/**
 * The dashboard script as served. In a build it is `client.js`, compiled by
 * tsc next to this module; when stracectl runs from source (tsx, tests) the
 * TypeScript is transpiled once on first use with the compiler from the
 * dev dependencies.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

let script: Promise<string> | undefined;

async function loadScript(): Promise<string> {
  const compiled = new URL('./client.js', import.meta.url);
  try {
    return stripSourceMap(await readFile(compiled, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const source = await readFile(fileURLToPath(new URL('./client.ts', import.meta.url)), 'utf8');
  const ts = (await import('typescript')).default;
  const output = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } });
  return output.outputText;
}

/** A source-map comment would make a browser's devtools request a file we do not serve. */
function stripSourceMap(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

/** The dashboard's JavaScript (loaded once, then cached). */
export function dashboardScript(): Promise<string> {
  script ??= loadScript().catch((error: unknown) => {
    script = undefined;
    throw error;
  });
  return script;
}
