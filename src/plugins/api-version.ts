/**
 * The plugin API's own version, and the host-side check that refuses a
 * plugin built for an API this stracectl does not provide (the way fastify
 * plugins declare the fastify version they need).
 *
 * A plugin declares what it needs in its package.json:
 *
 *     "stracectl": { "apiVersion": "^1.0" }
 *
 * or as `static apiVersion = '^1.0'` on a command class. The declaration is
 * a version with an optional `^` (the same meaning either way): the host's
 * major must be equal and its minor.patch at least the one asked for.
 * Major 0 is unstable, so there the minor must match too (as with npm's `^`).
 */
import { StracectlError } from '../errors.js';

/**
 * Version of the public plugin API (what `stracectl` exports): a major bump
 * breaks plugins, a minor one adds to the API.
 */
export const API_VERSION = '1.0.0';

interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `1`, `1.2`, `1.2.3`, optionally with a leading `^`; undefined when it is not one. */
export function parseApiVersion(text: string): Version | undefined {
  const match = /^\s*\^?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2] ?? 0), patch: Number(match[3] ?? 0) };
}

/**
 * Does a host providing `provided` satisfy a plugin asking for `required`?
 *
 * @example isApiCompatible('^1.0', '1.3.0') // true
 * @example isApiCompatible('^2.0', '1.3.0') // false
 */
export function isApiCompatible(required: string, provided: string = API_VERSION): boolean {
  const need = parseApiVersion(required);
  const have = parseApiVersion(provided);
  if (need === undefined || have === undefined) return false;
  if (need.major !== have.major) return false;
  if (need.major === 0 && need.minor !== have.minor) return false;
  if (have.minor !== need.minor) return have.minor > need.minor;
  return have.patch >= need.patch;
}

/** What the host knows about the command about to run (an oclif Command class fits). */
export interface PluginCommandInfo {
  id?: string;
  apiVersion?: unknown;
  plugin?: { name: string; pjson?: unknown } | undefined;
}

/** The API version a command's plugin declares: the class static wins over package.json. */
export function declaredApiVersion(command: PluginCommandInfo): unknown {
  if (command.apiVersion !== undefined) return command.apiVersion;
  const pjson = command.plugin?.pjson as { stracectl?: { apiVersion?: unknown } } | undefined;
  return pjson?.stracectl?.apiVersion;
}

/**
 * Refuses a command whose plugin declares an API version this host cannot
 * satisfy. Commands that declare nothing are accepted.
 */
export function assertPluginCompatible(command: PluginCommandInfo, provided: string = API_VERSION): void {
  const required = declaredApiVersion(command);
  if (required === undefined) return;
  const plugin = command.plugin?.name ?? 'this plugin';
  if (typeof required !== 'string' || parseApiVersion(required) === undefined) {
    throw new StracectlError('PLUGIN_INCOMPATIBLE', `${plugin} declares an invalid stracectl plugin API version ${JSON.stringify(required)}`, {
      hint: 'the plugin\'s package.json "stracectl.apiVersion" must look like "^1.0"',
    });
  }
  if (!isApiCompatible(required, provided)) {
    throw new StracectlError('PLUGIN_INCOMPATIBLE', `${plugin} needs stracectl plugin API ${required}, but this stracectl provides ${provided}`, {
      hint: `install a version of ${plugin} built for plugin API ${provided.split('.')[0]}.x, or a stracectl that provides ${required}`,
    });
  }
}
