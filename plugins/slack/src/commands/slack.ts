import { hostname } from 'node:os';
import { Flags } from '@oclif/core';
import { IncomingWebhook } from '@slack/webhook';
import type { OperatorFunction } from 'rxjs';
import { SinkCommand, SinkError, parseDuration, type SyscallEvent } from 'stracectl';
import { alertRules, type Alert } from '../alerts.js';
import { plainText, slackText } from '../message.js';
import { parseRule, type Rule } from '../rules.js';

/** How a failed send is reported: by HTTP status and Slack's short error code, never by URL. */
export function describeSendError(error: unknown): SinkError {
  const failure = error as { code?: string; original?: { response?: { status?: number; data?: unknown }; code?: string } };
  const status = failure.original?.response?.status;
  if (status !== undefined) {
    const body = typeof failure.original?.response?.data === 'string' ? failure.original.response.data : '';
    const detail = /^[\w.-]{1,64}$/.test(body) ? ` (${body})` : '';
    // 5xx and rate limiting pass; other 4xx (no_service, invalid_token…) will not get better by retrying.
    return new SinkError(`Slack answered HTTP ${status}${detail}`, { retryable: status >= 500 || status === 429 });
  }
  const code = failure.original?.code;
  return new SinkError(`request to Slack failed${code ? ` (${code})` : ''}`, { retryable: true });
}

/** Is this URL fit to receive alerts? https, or http to this machine only (tests, local relays). */
export function checkWebhookUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'the webhook is not a valid URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  return 'the webhook must be an https:// URL (http:// only to localhost)';
}

export default class Slack extends SinkCommand<Alert> {
  static summary = 'Post Slack alerts when syscall rules hold over a sliding window.';
  static description =
    'Reads SyscallEvents (NDJSON) and checks each --rule per syscall over a sliding window of event time: METRIC OP VALUE with METRIC one of count, errors, error_pct, avg, max, p50, p90, p95, p99 (durations take a unit) or errno (errno==EACCES), optionally scoped to one syscall (openat:error_pct>=50). When a condition holds, one message names the syscall, the measured values and the triage hint; the same condition stays silent until --cooldown has passed. Delivery uses Slack\'s incoming-webhook client; 5xx answers and network errors are retried with backoff, then reported. The webhook URL (--webhook or env SLACK_WEBHOOK_URL, which keeps it out of `ps`) is never printed.';
  static examples = [
    "stracectl capture -p 42 | SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… stracectl slack --rule 'error_pct>=50' --rule 'p99>=100ms'",
    "stracectl slack --rule 'openat:errno==EACCES' --window 30s --cooldown 10m --tee < run.ndjson | stracectl top",
    "stracectl parse trace.txt | stracectl slack --rule 'count>=1000' --dry-run",
  ];
  static flags = {
    webhook: Flags.string({ description: 'Slack incoming-webhook URL (prefer the env variable: it keeps the URL out of `ps`)', env: 'SLACK_WEBHOOK_URL' }),
    rule: Flags.string({ description: 'alert rule [SYSCALL:]METRIC OP VALUE, repeatable (at least one)', multiple: true, multipleNonGreedy: true }),
    window: Flags.string({ description: 'sliding window the rules are measured over', default: '10s' }),
    cooldown: Flags.string({ description: 'after an alert, the same condition stays silent this long', default: '5m' }),
    'min-calls': Flags.integer({ description: 'rate and latency rules need at least this many calls in the window', default: 1, min: 1 }),
    'dry-run': Flags.boolean({ description: 'print the messages on stderr instead of sending them', default: false }),
  };

  private webhook: IncomingWebhook | undefined;
  private host = hostname();
  private rules: Rule[] = [];
  private windowMs = 0;
  private cooldownMs = 0;
  private minCalls = 1;
  private sent = 0;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Slack);
    const duration = (name: string, text: string): number => {
      try {
        return parseDuration(text) / 1e6;
      } catch (error) {
        this.usageError(`--${name}: ${(error as Error).message}`);
      }
    };
    if (flags.rule === undefined || flags.rule.length === 0) this.usageError('give at least one --rule', "e.g. --rule 'error_pct>=50' --rule 'openat:p99>=100ms'");
    for (const text of flags.rule) {
      try {
        this.rules.push(parseRule(text));
      } catch (error) {
        this.usageError(`--rule: ${(error as Error).message}`, "e.g. --rule 'error_pct>=50' --rule 'openat:p99>=100ms'");
      }
    }
    this.windowMs = duration('window', flags.window);
    if (this.windowMs < 10) this.usageError('--window must be at least 10ms');
    this.cooldownMs = duration('cooldown', flags.cooldown);
    this.minCalls = flags['min-calls'];
    if (!flags['dry-run']) {
      const url = flags.webhook;
      if (url === undefined || url === '') {
        this.usageError('no webhook: give --webhook or set SLACK_WEBHOOK_URL', 'or use --dry-run to see the messages without sending them');
      }
      this.logger.redact(url);
      const problem = checkWebhookUrl(url);
      if (problem !== undefined) this.usageError(problem);
      this.webhook = new IncomingWebhook(url, { timeout: 10_000 });
    }
    await this.runSink({ files: argv as string[], flags });
    if (flags['dry-run'] || this.sent > 0) this.logger.info(`${this.sent} alert${this.sent === 1 ? '' : 's'} ${flags['dry-run'] ? 'would have been sent' : 'sent'}`);
  }

  /** Usage errors may quote the command line (`Nonexistent flag: --webhok=https://…`): no URL leaves this command. */
  async catch(error: Error & { oclif?: { exit?: number }; code?: string }): Promise<void> {
    if (typeof error.message === 'string') error.message = error.message.replace(/\bhttps?:\/\/[^\s'"]+/gi, '[redacted URL]');
    return super.catch(error);
  }

  protected transform(): OperatorFunction<SyscallEvent, Alert> {
    return alertRules({ rules: this.rules, windowMs: this.windowMs, cooldownMs: this.cooldownMs, minCalls: this.minCalls });
  }

  /** One message per alert; what went out is removed from the batch, so a retry never sends a message twice. */
  protected async write(batch: Alert[]): Promise<void> {
    while (batch.length > 0) {
      const alert = batch[0]!;
      if (this.webhook === undefined) {
        this.logger.info(`[dry-run] would send:\n${plainText(alert, { host: this.host })}`);
      } else {
        try {
          await this.webhook.send({ text: slackText(alert, { host: this.host }) });
        } catch (error) {
          throw describeSendError(error);
        }
      }
      batch.shift();
      this.sent++;
    }
  }
}
