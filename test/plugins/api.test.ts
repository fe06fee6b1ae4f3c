/**
 * The small parts of the plugin API: the API version check (host side),
 * retries with backoff, and the stderr logger that never prints secrets.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { StracectlError } from '../../src/errors.js';
import * as api from '../../src/index.js';
import { API_VERSION, assertPluginCompatible, isApiCompatible, parseApiVersion } from '../../src/plugins/api-version.js';
import { createLogger, errorMessage } from '../../src/plugins/logger.js';
import prerun from '../../src/plugins/prerun.js';
import { SinkError, backoffDelay, withRetry } from '../../src/plugins/retry.js';

describe('plugin API version', () => {
  it('is a semver string', () => {
    assert.match(API_VERSION, /^\d+\.\d+\.\d+$/);
    assert.equal(api.API_VERSION, API_VERSION);
  });

  it('accepts the same major with an equal or older minor, like npm ^', () => {
    assert.equal(isApiCompatible('^1.0', '1.0.0'), true);
    assert.equal(isApiCompatible('1.2', '1.3.0'), true);
    assert.equal(isApiCompatible('^1.2.5', '1.2.5'), true);
    assert.equal(isApiCompatible('^1.2.6', '1.2.5'), false);
    assert.equal(isApiCompatible('^1.4', '1.3.9'), false);
    assert.equal(isApiCompatible('^2.0', '1.9.0'), false);
    assert.equal(isApiCompatible('^0.3', '0.4.0'), false, 'major 0: minors are breaking');
    assert.equal(isApiCompatible('latest', '1.0.0'), false);
    assert.deepEqual(parseApiVersion('^1.2'), { major: 1, minor: 2, patch: 0 });
  });

  it('refuses an incompatible plugin with a clear message and hint', () => {
    const plugin = { name: 'stracectl-plugin-future', pjson: { stracectl: { apiVersion: '^9.0' } } };
    assert.throws(
      () => assertPluginCompatible({ plugin }, '1.0.0'),
      (error: unknown) =>
        error instanceof StracectlError &&
        error.message === 'stracectl-plugin-future needs stracectl plugin API ^9.0, but this stracectl provides 1.0.0' &&
        /install a version of stracectl-plugin-future built for plugin API 1\.x/.test(error.hint ?? ''),
    );
    assert.throws(() => assertPluginCompatible({ plugin: { name: 'p', pjson: { stracectl: { apiVersion: 2 } } } }), /invalid stracectl plugin API version 2/);
    // A command's own static wins over its package.json; no declaration at all is accepted.
    assert.doesNotThrow(() => assertPluginCompatible({ apiVersion: '^1.0', plugin }, '1.0.0'));
    assert.doesNotThrow(() => assertPluginCompatible({ plugin: { name: 'legacy', pjson: {} } }));
  });

  it('the prerun hook stops an incompatible command before it runs', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(chunk) > 0) as typeof process.stderr.write;
    let exited: number | undefined;
    const context = {
      exit(code: number) {
        exited = code;
        throw new Error('EEXIT');
      },
    };
    const Command = { id: 'future', plugin: { name: 'stracectl-plugin-future', pjson: { stracectl: { apiVersion: '^9.0' } } } };
    try {
      await assert.rejects((prerun as unknown as (this: unknown, options: unknown) => Promise<void>).call(context, { Command, argv: [] }), /EEXIT/);
      await (prerun as unknown as (this: unknown, options: unknown) => Promise<void>).call(context, { Command: { id: 'filter', plugin: { name: 'stracectl', pjson: {} } }, argv: [] });
    } finally {
      process.stderr.write = write;
    }
    assert.equal(exited, 1);
    assert.match(stderr.join(''), /^stracectl future: stracectl-plugin-future needs stracectl plugin API \^9\.0, but this stracectl provides 1\.0\.0\nhint: /);
  });
});

describe('withRetry', () => {
  it('waits base, 2·base, 4·base… between attempts and returns the first success', async () => {
    const waits: number[] = [];
    let attempts = 0;
    const value = await withRetry(
      async () => {
        if (++attempts < 4) throw new Error(`fail ${attempts}`);
        return 'ok';
      },
      { retries: 5, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(value, 'ok');
    assert.deepEqual(waits, [100, 200, 400]);
    assert.equal(backoffDelay(10, 100, 5000), 5000);
  });

  it('gives up after the retries with the last error, at once on a non-retryable one', async () => {
    let attempts = 0;
    const sleep = async () => undefined;
    await assert.rejects(withRetry(async () => Promise.reject(new Error(`fail ${++attempts}`)), { retries: 2, baseDelayMs: 1, sleep }), /fail 3/);
    attempts = 0;
    await assert.rejects(
      withRetry(async () => Promise.reject(new SinkError(`no ${++attempts}`, { retryable: false })), { retries: 5, baseDelayMs: 1, sleep }),
      /no 1/,
    );
  });

  it('an abort cuts the wait short and makes the current attempt the last', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const started = Date.now();
    const pending = withRetry(
      async () => {
        attempts++;
        if (attempts === 1) setImmediate(() => controller.abort());
        throw new Error(`fail ${attempts}`);
      },
      { retries: 10, baseDelayMs: 60_000, signal: controller.signal },
    );
    await assert.rejects(pending, /fail 2/);
    assert.equal(attempts, 2);
    assert.ok(Date.now() - started < 30_000, 'did not sit out the 60 s backoff');
  });
});

describe('sink logger', () => {
  it('writes `stracectl <cmd>: …` lines, escapes control characters, and never prints a registered secret', () => {
    const stream = new PassThrough();
    const logger = createLogger('slack', stream);
    const url = 'https://hooks.slack.com/services/T00/B00/XXXXsecret';
    logger.redact(url);
    logger.info(`posting to ${url}`);
    logger.warn('POST /services/T00/B00/XXXXsecret failed');
    logger.error(`GET ${encodeURIComponent(url)} \x1b[31mred`);
    const text = String(stream.read());
    assert.equal(
      text,
      'stracectl slack: posting to [redacted]\n' +
        'stracectl slack: warning: POST [redacted] failed\n' +
        'stracectl slack: error: GET [redacted] \\x1b[31mred\n',
    );
    assert.deepEqual([logger.warnings, logger.errors], [1, 1]);
  });

  it('errorMessage keeps the message only (no stack, no cause)', () => {
    assert.equal(errorMessage(new Error('boom', { cause: new Error('https://secret') })), 'boom');
    assert.equal(errorMessage([new Error('a'), new Error('b')]), 'a; b');
    assert.equal(errorMessage('plain'), 'plain');
  });
});

describe('public entry (stracectl)', () => {
  it('exports the types’ runtime helpers, operators, models, knowledge base and plugin API', () => {
    for (const name of [
      'validateRecord', 'isSyscallEvent', 'parseStrace', 'normalize', 'filterEvents', 'aggregate', 'decodeRecords',
      'StatsAccumulator', 'LatencyHistogram', 'TraceSession', 'lookup', 'triage', 'canonicalName',
      'SinkCommand', 'SinkError', 'withRetry', 'createLogger', 'runSinkPipeline', 'API_VERSION', 'isApiCompatible',
      'BaseCommand', 'readRecords', 'runPipeline', 'parseDuration', 'formatDuration', 'StracectlError', 'EXIT',
    ]) {
      assert.ok(name in api, `stracectl does not export ${name}`);
    }
    assert.equal(api.lookup('newfstatat').name, 'fstat');
  });
});
