/**
 * `stracectl top` in a real terminal: tmux runs it on a fixture, send-keys
 * drives it, capture-pane reads the screen. Checks rows, overlays, filter,
 * sort, views, resize, escaping, a clean quit (terminal restored, exit 0)
 * and the restore on SIGTERM and on a crash.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { lookup } from '../../src/kb/index.js';
import { binRun, fixturesDir, repoRoot } from '../helpers.js';

const EVENTS = join(fixturesDir, 'ndjson/events.ndjson');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const hasStrace = spawnSync('strace', ['-V']).status === 0;
const WAIT_MS = 30_000;

/** Quotes for a POSIX shell. */
const sh = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** One tmux server (own socket, no user config) with one session running `script` under bash. */
class Tmux {
  private static count = 0;
  readonly socket = `stracectl-top-${process.pid}-${Tmux.count++}`;

  constructor(
    private readonly dir: string,
    readonly width: number,
    readonly height: number,
  ) {}

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TMUX_TMPDIR: this.dir } });
  }

  /**
   * Starts `command` in a bash that records the terminal settings before and
   * after it, then prints `TTY=restored|changed` and `EXIT=<status>`.
   */
  start(command: string, env: Record<string, string> = {}): void {
    const exports = Object.entries(env).map(([key, value]) => `export ${key}=${sh(value)}; `).join('');
    const script = `${exports}unset NO_COLOR; cd ${sh(repoRoot)}; before=$(stty -g); ${command}; code=$?; after=$(stty -g); [ "$before" = "$after" ] && echo TTY=restored || echo TTY=changed; echo EXIT=$code; exec sleep 600`;
    this.run('new-session', '-d', '-x', String(this.width), '-y', String(this.height), '-s', 'top', `bash --norc --noprofile -c ${sh(script)}`);
  }

  keys(...keys: string[]): void {
    this.run('send-keys', '-t', 'top', ...keys);
  }

  /** Literal text (no key-name lookup). */
  type(text: string): void {
    this.run('send-keys', '-t', 'top', '-l', text);
  }

  screen(escapes = false): string {
    return this.run('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'top');
  }

  format(spec: string): string {
    return this.run('display-message', '-p', '-t', 'top', spec).trim();
  }

  /** Polls the screen until `check` holds; fails with the last screen. */
  async waitFor(check: (screen: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.screen();
      if (check(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
  }

  waitForText(pattern: RegExp): Promise<string> {
    return this.waitFor((screen) => pattern.test(screen), String(pattern));
  }

  /** Processes under the pane's shell, by pid. */
  children(): Array<{ pid: number; args: string }> {
    const panePid = this.format('#{pane_pid}');
    const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', panePid], { encoding: 'utf8' }).stdout;
    return out
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ pid: Number(match[1]), args: match[2]! }));
  }

  kill(): void {
    try {
      for (const child of this.children()) process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'kill-server'], { env: { ...process.env, TMUX_TMPDIR: this.dir } });
  }
}

const rowPattern = (name: string, calls: number): RegExp => new RegExp(`^[ !~]${name} +\\S+ +${calls} `, 'm');
const topCommand = (input: string, flags = ''): string => `node ${sh(binRun)} top${flags} < ${sh(input)}`;

describe('top in a real terminal (tmux)', { skip: hasTmux ? false : 'tmux is not installed' }, () => {
  let dir: string;
  const servers: Tmux[] = [];
  const terminal = (width: number, height: number): Tmux => {
    const tmux = new Tmux(dir, width, height);
    servers.push(tmux);
    return tmux;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stracectl-top-tmux-'));
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
  });
  after(() => {
    for (const tmux of servers) tmux.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Quits with q and checks the terminal came back: main screen, cursor shown, same stty settings, exit 0. */
  async function quitCleanly(tmux: Tmux, expectedExit = 0): Promise<void> {
    tmux.keys('q');
    const screen = await tmux.waitForText(/EXIT=\d+/);
    assert.match(screen, new RegExp(`EXIT=${expectedExit}\\b`));
    assert.match(screen, /TTY=restored/);
    assert.equal(tmux.format('#{alternate_on}'), '0', 'back on the main screen');
    assert.equal(tmux.format('#{cursor_flag}'), '1', 'cursor visible');
  }

  test('120×40: rows, j/k, detail, help, filter, sort, categories, log, pause, resize, quit', async () => {
    const tmux = terminal(120, 40);
    // CI=true: the view must still draw (ink would otherwise assume a CI log and never redraw).
    tmux.start(topCommand(EVENTS), { CI: 'true' });
    // Everything top writes to the terminal, to check how frames are drawn.
    const raw = join(dir, 'raw-120x40.out');
    tmux.run('pipe-pane', '-t', 'top', '-o', `cat >> ${sh(raw)}`);
    let screen = await tmux.waitForText(/INPUT ENDED/);
    screen = await tmux.waitForText(rowPattern('write', 322));
    assert.equal(tmux.format('#{alternate_on}'), '1', 'on the alternate screen');
    assert.match(screen, /NAME +CAT +CALLS +ERRORS +ERR% +AVG +P95 +P99 +MAX +TOTAL/);
    assert.match(screen, rowPattern('fstat', 187));
    assert.match(screen, /^!ioctl +OTHER +19 +19 +100\.0%/m);
    assert.match(screen, /events 1266 │ errors 190 \(15\.0%\) │ lost 0/);
    assert.match(tmux.screen(true), /\u001b\[31m.*ioctl/, 'red row');

    tmux.keys('j');
    await tmux.waitForText(/^ ℹ fstat: /m);
    tmux.keys('j', 'k');
    await tmux.waitForText(/^ ℹ fstat: /m);
    tmux.keys('Down', 'Down', 'Down');
    await tmux.waitForText(/^ ℹ openat: /m);

    tmux.keys('Enter');
    screen = await tmux.waitForText(/LIVE STATS/);
    assert.ok(screen.includes(lookup('openat').description), 'the knowledge-base entry');
    assert.match(screen, /calls 81 +errors 27 \(33\.3%\)/);
    assert.match(screen, /ENOENT ×27/);
    assert.match(screen, /RECENT FAILING CALLS/);
    assert.match(screen, /openat\(AT_FDCWD, "\/usr\/lib\/locale\/C\.UTF-8\/LC_ADDRESS", O_RDONLY\|O_CLOEXEC\) = -1 ENOENT/);
    tmux.keys('Escape');
    await tmux.waitFor((s) => !/LIVE STATS/.test(s) && /NAME +CAT +CALLS/.test(s), 'the overlay to close');

    tmux.keys('?');
    screen = await tmux.waitForText(/stracectl top — keys/);
    assert.match(screen, /cycle the sort/);
    tmux.keys('Escape');
    await tmux.waitFor((s) => !/stracectl top — keys/.test(s), 'help to close');

    tmux.keys('/');
    tmux.type('sig');
    screen = await tmux.waitForText(/filter: sig▏/);
    screen = await tmux.waitFor((s) => rowPattern('rt_sigaction', 158).test(s) && !rowPattern('write', 322).test(s), 'the filtered table');
    assert.match(screen, rowPattern('rt_sigprocmask', 14));
    tmux.keys('Enter');
    await tmux.waitForText(/filter "sig"/);
    tmux.keys('Escape');
    await tmux.waitFor((s) => rowPattern('write', 322).test(s) && !/filter "sig"/.test(s), 'the filter to clear');

    tmux.keys('s');
    screen = await tmux.waitForText(/sort: errors/);
    assert.match(screen, /NAME[^\n]+\n!fstat +FS +187 +131 /, 'most errors first');
    for (const key of ['err%', 'avg', 'p95', 'p99', 'total', 'count']) {
      tmux.keys('s');
      await tmux.waitForText(new RegExp(`sort: ${key} `));
    }

    tmux.keys('c');
    screen = await tmux.waitForText(/CAT +KIND +SYSCALLS/);
    assert.match(screen, /I\/O +File descriptor I\/O +6 +520 +28/);
    tmux.keys('c');
    await tmux.waitForText(/NAME +CAT +CALLS/);

    tmux.keys('l');
    screen = await tmux.waitForText(/TIME +PID SYSCALL\(ARGS\)/);
    assert.match(screen, /20:53:08\.451 +25049 exit_group\(0\) = \?/);
    tmux.keys('l');
    await tmux.waitForText(/NAME +CAT +CALLS/);

    tmux.keys('p');
    await tmux.waitForText(/ PAUSED /);
    tmux.keys('p');
    await tmux.waitFor((s) => !/ PAUSED /.test(s), 'resume');

    tmux.run('resize-window', '-t', 'top', '-x', '90', '-y', '30');
    screen = await tmux.waitFor((s) => {
      const lines = s.split('\n');
      return /q quit\s*$/.test(lines[28] ?? '') && /^ NAME +CAT/m.test(s);
    }, 'the layout to follow the resize');
    assert.ok(screen.split('\n').every((line) => [...line].length <= 90));

    await quitCleanly(tmux);
    // No flicker: after the first clear, frames overwrite the screen in place, never erase it first.
    const output = readFileSync(raw, 'latin1');
    const frames = output.split('\u001b[?2026h').length - 1;
    assert.ok(frames >= 20, `many frames drawn (${frames})`);
    assert.equal(output.split('\u001b[2J').length - 1, 1, 'the screen is cleared once, at start');
    assert.doesNotMatch(output, /\u001b\[2K\u001b\[1A/, 'no erase-lines before a frame');
    assert.ok(output.split('\u001b[H').length - 1 >= frames, 'each frame starts at home');
  });

  test('80×24: all ten columns, overlays fit, clean quit', async () => {
    const tmux = terminal(80, 24);
    tmux.start(topCommand(EVENTS));
    const screen = await tmux.waitFor((s) => /INPUT ENDED/.test(s) && rowPattern('write', 322).test(s), 'rows at 80×24');
    const lines = screen.split('\n');
    assert.match(lines[4]!, /^ NAME +CAT +CALLS +ERRORS +ERR% +AVG +P95 +P99 +MAX +TOTAL/);
    assert.match(lines[22]!, /↑↓ move +⏎ detail +\/ filter +s sort +c category +l log +p pause +\? help +q quit/);
    tmux.keys('Enter');
    const detail = await tmux.waitForText(/LIVE STATS/);
    assert.match(detail, /╭─+╮/);
    assert.match(detail, /╰─+╯/);
    assert.match(detail, /lines 1-18 of \d+, ↑↓ scroll/);
    tmux.keys('Escape', '?');
    await tmux.waitForText(/stracectl top — keys/);
    tmux.keys('Escape');
    await tmux.waitFor((s) => !/stracectl top — keys/.test(s), 'help to close');
    await quitCleanly(tmux);
  });

  test('escape sequences in traced args are shown escaped, never executed', async () => {
    const file = join(dir, 'hostile.ndjson');
    const base = { pid: 7, ret: '-1', latency_ns: 5000, error: 'ENOENT', timestamp: '2026-11-27T21:00:00.000000Z' };
    writeFileSync(
      file,
      [
        { ...base, name: 'openat', args: 'AT_FDCWD, "/tmp/\u001b]2;pwned\u0007\u001b[2J\u001b[H\u001b[31mred\nline2", O_RDONLY' },
        { ...base, name: 'x\u001b[5mblink', args: '', error: '', ret: '0' },
      ]
        .map((event) => JSON.stringify(event))
        .join('\n') + '\n',
    );
    const tmux = terminal(120, 30);
    tmux.start(topCommand(file));
    let screen = await tmux.waitForText(/INPUT ENDED/);
    assert.match(screen, /x\\x1b\[5mblink/);
    tmux.keys('l');
    screen = await tmux.waitForText(/TIME +PID/);
    assert.ok(screen.includes('"/tmp/\\x1b]2;pwned\\x07\\x1b[2J\\x1b[H\\x1b[31mred\\nline2"'), screen);
    assert.match(screen, /stracectl top/, 'the screen was not cleared by the args');
    assert.notEqual(tmux.format('#{pane_title}'), 'pwned', 'the window title was not set');
    await quitCleanly(tmux);
  });

  test('on a terminal, --no-tui prints the table; with stdin the terminal and no input, a usage error', async () => {
    const table = terminal(120, 30);
    table.start(topCommand(EVENTS, ' --no-tui --limit 3'));
    let screen = await table.waitForText(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /│ write +│ I\/O +│ +322 │/);
    assert.match(screen, /└─+┴/);
    assert.doesNotMatch(screen, /INPUT ENDED/);

    const noInput = terminal(120, 30);
    noInput.start(`node ${sh(binRun)} top`);
    screen = await noInput.waitForText(/EXIT=\d+/);
    assert.match(screen, /stracectl top: no input: stdin is the terminal/);
    assert.match(screen, /EXIT=2/);
    assert.match(screen, /TTY=restored/);
  });

  test('SIGTERM while running: the terminal is restored and top exits 143', async () => {
    const tmux = terminal(100, 30);
    // The input never ends: `top` is still reading when the signal comes.
    tmux.start(`node ${sh(binRun)} top < <(cat ${sh(EVENTS)}; exec sleep 600)`);
    await tmux.waitFor((s) => rowPattern('write', 322).test(s), 'rows');
    assert.doesNotMatch(tmux.screen(), /INPUT ENDED/);
    const top = tmux.children().find((child) => child.args.includes('bin/run.js top'));
    assert.ok(top, 'the top process');
    process.kill(top.pid, 'SIGTERM');
    const screen = await tmux.waitForText(/EXIT=\d+/);
    assert.match(screen, /EXIT=143/);
    assert.match(screen, /TTY=restored/);
    assert.equal(tmux.format('#{alternate_on}'), '0');
    assert.equal(tmux.format('#{cursor_flag}'), '1');
  });

  test('a crash while the view runs restores the terminal and reports an internal error (exit 70)', async () => {
    const script = join(dir, 'crash.mjs');
    // The real runTui with an input that crashes the process from a timer, outside any handler of ours.
    writeFileSync(
      script,
      `const { runTui } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/tui/run.js')).href)});
const records$ = { subscribe(observer) { observer.next({ pid: 1, name: 'read', args: '', ret: '0', latency_ns: 1, error: '', timestamp: '2026-11-27T21:00:00.000000Z' });
  const timer = setTimeout(() => { throw new Error('boom from the test'); }, 1500); return { unsubscribe() { clearTimeout(timer); } }; } };
await runTui({ records$, info: { source: 'crash test' } });
`,
    );
    const tmux = terminal(100, 30);
    tmux.start(`node ${sh(script)} 2>${sh(join(dir, 'crash.err'))} < /dev/null`);
    const screen = await tmux.waitForText(/EXIT=\d+/);
    assert.match(screen, /EXIT=70/);
    assert.match(screen, /TTY=restored/);
    assert.equal(tmux.format('#{alternate_on}'), '0');
    assert.equal(tmux.format('#{cursor_flag}'), '1');
    const stderr = spawnSync('cat', [join(dir, 'crash.err')], { encoding: 'utf8' }).stdout;
    assert.match(stderr, /stracectl top: internal error: Error: boom from the test/);
  });

  test('top -- CMD traces the command itself; the view stays after it ends and q exits with its status', { skip: hasStrace ? false : 'strace is not installed' }, async () => {
    const tmux = terminal(120, 30);
    tmux.start(`node ${sh(binRun)} top --backend strace -- sh -c 'cat /nonexistent-stracectl-top 2>/dev/null; exit 3' < /dev/null`);
    const screen = await tmux.waitFor((s) => /INPUT ENDED/.test(s) && /^[ !~]execve /m.test(s), 'the traced command to end');
    assert.match(screen, /\$ sh -c cat \/nonexistent-stracectl-top 2>\/dev\/null; exit 3 via strace/);
    assert.match(screen, /^[ !~]openat /m);
    await quitCleanly(tmux, 3);
  });
});
