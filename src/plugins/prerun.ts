/**
 * oclif `prerun` hook of the host: before any command runs, refuse it when
 * its plugin declares a plugin API version this stracectl cannot provide.
 * (SinkCommand checks the same in `init`, so sinks are covered even where
 * this hook is not registered; the hook covers plugins' other commands.)
 */
import type { Hook } from '@oclif/core';
import { diagnostic, StracectlError } from '../errors.js';
import { assertPluginCompatible, type PluginCommandInfo } from './api-version.js';

const hook: Hook.Prerun = async function (options) {
  try {
    assertPluginCompatible(options.Command as unknown as PluginCommandInfo);
  } catch (error) {
    if (!(error instanceof StracectlError)) throw error;
    process.stderr.write(diagnostic(options.Command.id ?? 'stracectl', error.message) + '\n');
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    this.exit(error.exit);
  }
};

export default hook;
