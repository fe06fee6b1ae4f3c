#!/usr/bin/env node
// Writes oclif.manifest.json for the main package and each first-party plugin,
// so the CLI starts without importing every command module (and their heavy
// dependencies) just to list them: ~1.3 s → ~0.3 s per invocation.
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = [root, join(root, 'plugins/otel'), join(root, 'plugins/slack')].filter((dir) => existsSync(join(dir, 'package.json')));

// A stale manifest would be read back instead of the commands: remove them all first.
for (const dir of packages) rmSync(join(dir, 'oclif.manifest.json'), { force: true });

const config = await Config.load({ root });
for (const plugin of config.getPluginsList()) {
  // Workspace plugins are found through their node_modules/@stracectl symlinks.
  const dir = packages.find((candidate) => candidate === realpathSync(plugin.root));
  if (dir === undefined) continue;
  const manifest = plugin.manifest;
  if (!manifest || Object.keys(manifest.commands ?? {}).length === 0) continue;
  writeFileSync(join(dir, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.error(`gen-manifest: ${plugin.name}: ${Object.keys(manifest.commands).length} commands`);
}
