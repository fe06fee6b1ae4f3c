/**
 * Runs the live view until the user quits: records feed the TraceSession as
 * they arrive (ingest), the App re-renders from a snapshot once a second
 * (view). Owns the terminal for the duration and always gives it back.
 */
import { render, type Instance } from 'ink';
import React from 'react';
import { Subject, interval, merge, type Observable, type Subscription } from 'rxjs';
import { EXIT } from '../errors.js';
import type { TraceRecord } from '../event.js';
import { TraceSession } from '../session.js';
import { App, type TopFeed } from './App.js';
import type { SourceInfo } from './header.js';
import type { TopSortKey } from './model.js';
import { StderrHold, closeKeyboard, enterFullScreen, inPlaceOutput, keepCursorCodeOutOfStderrLog, openKeyboard } from './terminal.js';

export interface RunTuiOptions {
  /** The input; subscribed once. Its end leaves the view up with an "input ended" banner. */
  records$: Observable<TraceRecord>;
  info: SourceInfo;
  session?: TraceSession;
  sort?: TopSortKey;
  /** Snapshot period; default 1000 ms. */
  refreshMs?: number;
  colour?: boolean;
  /** Called when the user quits or a signal arrives, before the input is dropped (e.g. to stop a capture). */
  onStop?: (reason: NodeJS.Signals | 'quit') => void;
}

export interface TuiResult {
  session: TraceSession;
  /** 0 on q / Ctrl-C; 128+n when ended by a signal. */
  exit: number;
  /** Why the input failed, if it did (reported after the terminal is restored). */
  inputError?: unknown;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: EXIT.SIGINT, SIGTERM: EXIT.SIGTERM, SIGHUP: 129 };

export async function runTui(options: RunTuiOptions): Promise<TuiResult> {
  const session = options.session ?? new TraceSession();
  const feed: TopFeed = { session, heldMessages: 0 };
  const keyboard = openKeyboard();
  const stdout = process.stdout;
  const stderr = new StderrHold((count) => {
    feed.heldMessages = count;
  });
  const screen = enterFullScreen(stdout, keyboard);

  let finish: (exit: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals): void => finish(SIGNAL_EXIT[signal] ?? EXIT.RUNTIME);
  // A crash must not leave the terminal raw and on the alternate screen: restore first, then report.
  const onCrash = (error: unknown): void => {
    screen.restore();
    stderr.release();
    process.stderr.write(`stracectl top: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.INTERNAL);
  };
  let subscription: Subscription | undefined;
  let instance: Instance | undefined;
  let inputError: unknown;
  try {
    for (const signal of signals) process.on(signal, onSignal);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    if (process.stderr.isTTY) stderr.start();
    keepCursorCodeOutOfStderrLog();

    const ended$ = new Subject<void>();
    const onEnd = (): void => {
      session.ended = true;
      ended$.next();
    };
    subscription = options.records$.subscribe({
      next: (record) => session.add(record),
      error: (error: unknown) => {
        inputError = error;
        feed.error = error instanceof Error ? error.message : String(error);
        onEnd();
      },
      complete: onEnd,
    });

    const ticks = merge(interval(options.refreshMs ?? 1000), ended$);
    instance = render(
      <App feed={feed} info={options.info} ticks={ticks} colour={options.colour ?? true} sort={options.sort} onQuit={() => finish(EXIT.OK)} />,
      { stdout: inPlaceOutput(stdout), stdin: keyboard, exitOnCtrlC: false, patchConsole: false },
    );
    // A render error ends the app (ink shows it); it is rethrown once the terminal is restored.
    const crashed = instance.waitUntilExit().then(
      () => ({ error: undefined }),
      (error: unknown) => ({ error }),
    );
    const outcome = await Promise.race([finished.then((code) => ({ code })), crashed]);
    if ('error' in outcome) throw outcome.error ?? new Error('the view closed unexpectedly');
    options.onStop?.(outcome.code === EXIT.OK ? 'quit' : (signals.find((signal) => SIGNAL_EXIT[signal] === outcome.code) ?? 'SIGTERM'));
    return { session, exit: outcome.code, inputError };
  } finally {
    subscription?.unsubscribe();
    instance?.unmount();
    for (const signal of signals) process.off(signal, onSignal);
    closeKeyboard(keyboard);
    screen.restore();
    stderr.release();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}
