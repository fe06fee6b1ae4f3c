/**
 * Renders the live view with ink-testing-library, a fixed size and a tick
 * source the test drives, so every frame is deterministic.
 */
// Colours are asserted, and chalk decides its colour level when ink is first loaded.
process.env.FORCE_COLOR = '1';

import { join } from 'node:path';
import React from 'react';
import { Subject } from 'rxjs';
import type { TraceRecord } from '../../src/event.js';
import { TraceSession } from '../../src/session.js';
import type { TopSortKey } from '../../src/tui/model.js';
import { fixturesDir, readEvents } from '../helpers.js';

const { render, cleanup } = await import('ink-testing-library');
const { App } = await import('../../src/tui/App.js');

export const EVENTS_FILE = join(fixturesDir, 'ndjson/events.ndjson');

/** Strips SGR sequences (colours) from a frame. */
export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

export function fixtureSession(): TraceSession {
  const session = new TraceSession();
  for (const event of readEvents(EVENTS_FILE)) session.add(event);
  return session;
}

export interface Harness {
  /** The last frame, colours stripped. */
  frame(): string;
  /** The last frame with its escape sequences. */
  rawFrame(): string;
  /** Types keys (each string is one read from the terminal) and waits until the view has handled them. */
  press(...keys: string[]): Promise<void>;
  /** Takes a new snapshot, as the once-a-second timer does. */
  tick(): Promise<void>;
  /** Waits (a bounded number of event-loop turns, not a clock) until the frame satisfies `check`. */
  waitFor(check: (frame: string) => boolean, what: string): Promise<string>;
  quits: () => number;
  session: TraceSession;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** React applies a state update a few event-loop turns after the input event; wait until the frames settle. */
async function settle(frames: () => number): Promise<void> {
  let seen = frames();
  let quiet = 0;
  for (let i = 0; i < 200 && quiet < 5; i++) {
    await turn();
    const now = frames();
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
}

export async function renderTop(
  options: { session?: TraceSession; records?: TraceRecord[]; columns?: number; rows?: number; colour?: boolean; sort?: TopSortKey; ended?: boolean; heldMessages?: number } = {},
): Promise<Harness> {
  const session = options.session ?? fixtureSession();
  for (const record of options.records ?? []) session.add(record);
  if (options.ended ?? true) session.ended = true;
  const ticks = new Subject<void>();
  let quits = 0;
  let clock = 1_000;
  const instance = render(
    <App
      feed={{ session, heldMessages: options.heldMessages }}
      info={{ source: 'stdin' }}
      ticks={ticks}
      now={() => clock}
      size={{ columns: options.columns ?? 100, rows: options.rows ?? 30 }}
      colour={options.colour ?? true}
      sort={options.sort}
      onQuit={() => quits++}
    />,
  );
  const frames = (): number => instance.frames.length;
  await settle(frames);
  const harness: Harness = {
    session,
    frame: () => stripAnsi(instance.lastFrame() ?? ''),
    rawFrame: () => instance.lastFrame() ?? '',
    async press(...keys) {
      for (const key of keys) {
        instance.stdin.write(key);
        await settle(frames);
      }
    },
    async tick() {
      clock += 1000;
      ticks.next();
      await settle(frames);
    },
    async waitFor(check, what) {
      for (let i = 0; i < 500; i++) {
        if (check(harness.frame())) return harness.frame();
        await turn();
      }
      throw new Error(`frame never showed ${what}:\n${harness.frame()}`);
    },
    quits: () => quits,
  };
  return harness;
}

export { cleanup };

/** Keys as a terminal sends them. */
export const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', backspace: '\u007f', ctrlC: '\u0003', pageDown: '\u001b[6~' } as const;
