import { Worker } from 'node:worker_threads';

/**
 * Starts the worker script `name` (a module of this directory, without its
 * extension). Built, it is the .js beside this file; run from source (tests
 * through tsx) it is TypeScript, so tsx is registered in the worker first.
 */
export function startWorker(name: string, workerData?: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
