/**
 * The dedicated channel strace writes its trace into: a FIFO in a private
 * temp dir. Not an inherited pipe: strace opens its `-o` file close-on-exec,
 * so the traced program never holds it (an fd 3 handed to strace would leak
 * into the program, which could write into our trace or keep it from ending).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TraceFifo {
  /** Where strace writes (`-o PATH`). */
  readonly path: string;
  /** Our read end: a non-blocking pipe handle, read through libuv like a socket. */
  readonly reader: Socket;
  private readonly dir: string;
  private keepOpenFd: number | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'stracectl-capture-'));
    this.path = join(this.dir, 'trace');
    try {
      const made = spawnSync('mkfifo', ['-m', '600', this.path], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo failed: ${made.error?.message ?? made.stderr.trim()}`);
      // O_NONBLOCK: opening the read end must not wait for a writer. Our own write end
      // keeps the reader from seeing EOF before strace opens the FIFO; it is closed once
      // strace has exited, and then EOF means "everything strace wrote has been read".
      const readFd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
      this.keepOpenFd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
      this.reader = new Socket({ fd: readFd, readable: true, writable: false });
    } catch (error) {
      this.remove();
      throw error;
    }
  }

  /** Call once the writer (strace) is gone: the reader then ends after the last byte. */
  releaseWriter(): void {
    if (this.keepOpenFd === undefined) return;
    closeSync(this.keepOpenFd);
    this.keepOpenFd = undefined;
  }

  /** Removes the FIFO and its directory (the open handles stay valid). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Closes everything: the reader, our write end, the directory. */
  dispose(): void {
    this.releaseWriter();
    this.reader?.destroy();
    this.remove();
  }
}
