/**
 * Retries with exponential backoff for sinks that deliver over a network.
 * The wait is cut short by an AbortSignal, so Ctrl-C never sits out a
 * backoff: after an abort the current attempt is the last one.
 */

/** A delivery error that retrying cannot fix (a 4xx answer, a bad credential). */
export class SinkError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SinkError';
    this.retryable = options.retryable ?? true;
  }
}

/** Errors are retried unless they say otherwise (`retryable: false`, as SinkError can). */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}

export interface RetryOptions {
  /** Attempts after the first one (0 = no retry). */
  retries: number;
  /** Wait before the first retry; doubles for each next one. */
  baseDelayMs: number;
  /** Cap on one wait. */
  maxDelayMs?: number;
  /** Stops retrying (the running attempt still finishes). */
  signal?: AbortSignal;
  isRetryable?: (error: unknown) => boolean;
  /** Told before each wait, e.g. to log it. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Replaceable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Delay before retry number `attempt` (1-based): base · 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it resolves, it throws a non-retryable error, the
 * retries are used up, or the signal aborts; rejects with the last error.
 *
 * @example
 * await withRetry(() => post(batch), { retries: 3, baseDelayMs: 250 }) // waits 250, 500, 1000 ms between attempts
 */
export async function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retryable = options.isRetryable ?? isRetryable;
  const wait = options.sleep ?? sleep;
  for (let number = 0; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      if (number >= options.retries || !retryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(number + 1, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.(error, number + 1, delayMs);
      await wait(delayMs, options.signal);
    }
  }
}
