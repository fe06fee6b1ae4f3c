/**
 * The logger a sink gets: stderr only (stdout may be carrying `--tee`d
 * records), every line `stracectl <cmd>: …` with control characters escaped,
 * and secrets (webhook URLs, API keys) replaced before anything is written.
 */
import type { Writable } from 'node:stream';
import { diagnostic } from '../errors.js';

export interface SinkLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Never print this text: every later message has it replaced by `[redacted]`. */
  redact(secret: string): void;
  /** Messages logged through `warn`. */
  readonly warnings: number;
  /** Messages logged through `error`. */
  readonly errors: number;
}

const REDACTED = '[redacted]';

/** Forms of a secret that may show up in an error text: as given, URL-encoded, and a URL's path. */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  try {
    const url = new URL(secret);
    const tail = url.pathname + url.search;
    // A bare "/" is no secret; a webhook's path is the credential itself.
    if (tail.length > 1) forms.add(tail);
    if (url.username !== '' || url.password !== '') forms.add(`${url.username}:${url.password}`);
  } catch {
    // not a URL
  }
  return [...forms].filter((form) => form.length >= 4);
}

export function createLogger(command: string, stream: Writable = process.stderr): SinkLogger {
  const secrets: string[] = [];
  let warnings = 0;
  let errors = 0;
  const scrub = (message: string): string => {
    let text = message;
    for (const secret of secrets) text = text.split(secret).join(REDACTED);
    return text;
  };
  const write = (message: string, level: string): void => {
    stream.write(diagnostic(command, `${level}${scrub(message)}`) + '\n');
  };
  return {
    info: (message) => write(message, ''),
    warn: (message) => {
      warnings++;
      write(message, 'warning: ');
    },
    error: (message) => {
      errors++;
      write(message, 'error: ');
    },
    redact: (secret) => {
      for (const form of secretForms(secret)) if (!secrets.includes(form)) secrets.push(form);
      // Longest first so a URL is replaced whole before its path is.
      secrets.sort((a, b) => b.length - a.length);
    },
    get warnings() {
      return warnings;
    },
    get errors() {
      return errors;
    },
  };
}

/** The message of an error without its stack or cause (which may carry request details). */
export function errorMessage(error: unknown): string {
  if (Array.isArray(error)) return error.map(errorMessage).join('; ');
  if (error instanceof Error) return error.message;
  return String(error);
}
