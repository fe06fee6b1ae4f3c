/**
 * The dedicated channel strace writes its trace into: a FIFO in a private
 * temp dir. Not an inherited pipe: strace opens its `-o` file close-on-exec,
 * so the traced program never holds it (an fd 3 handed to strace would leak
 * into the program, which could write into our trace or keep it from ending).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** One read takes up to this much of what strace wrote. */
const READ_BUFFER_BYTES = 256 * 1024;
/** A read smaller than this means we have caught up with strace: wait a little before the next one. */
const CAUGHT_UP_BYTES = 32 * 1024;
/** That little wait: events still reach stdout well within ~100 ms. */
const NAP_MS = 5;

export class TraceFifo {
  /** Where strace writes (`-o PATH`). */
  readonly path: string;
  /**
   * The trace bytes, read in batches: strace writes each line in two or more
   * small write(2)s, and a reader woken for every one of them costs strace
   * (wake-ups) and us (per-chunk overhead) more than the parsing itself —
   * measured: >10× fewer CPU ms for us and a faster tracee with batching. So
   * after a read that found little, the read end leaves epoll for NAP_MS and
   * lets strace fill the pipe. Backpressure from the consumer pauses it too.
   */
  readonly reader: Readable;
  private readonly socket: Socket;
  private readonly dir: string;
  private keepOpenFd: number | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'stracectl-capture-'));
    this.path = join(this.dir, 'trace');
    process.once('exit', this.removeOnExit);
    try {
      const made = spawnSync('mkfifo', ['-m', '600', this.path], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo failed: ${made.error?.message ?? made.stderr.trim()}`);
      // O_NONBLOCK: opening the read end must not wait for a writer. Our own write end
      // keeps the reader from seeing EOF before strace opens the FIFO; it is closed once
      // strace has exited, and then EOF means "everything strace wrote has been read".
      const readFd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
      this.keepOpenFd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
      let napping = false;
      let backpressured = false;
      const update = (): void => {
        if (this.socket.destroyed) return;
        if (napping || backpressured) this.socket.pause();
        else this.socket.resume();
      };
      const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      this.reader = new Readable({
        highWaterMark: 1024 * 1024,
        read: () => {
          backpressured = false;
          update();
        },
        destroy: (error, callback) => {
          this.socket.destroy();
          callback(error);
        },
      });
      // `onread` (Node ≥ 15.8) reads into our buffer and makes pause() stop reading at once; @types/node lacks it here.
      const socketOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
        fd: readFd,
        readable: true,
        writable: false,
        onread: {
          buffer,
          callback: (bytes: number) => {
            // The buffer is reused by the next read: hand on a copy.
            if (!this.reader.push(Buffer.from(buffer.subarray(0, bytes)))) backpressured = true;
            if (bytes < CAUGHT_UP_BYTES && !napping) {
              napping = true;
              setTimeout(() => {
                napping = false;
                update();
              }, NAP_MS);
            }
            update();
            return true;
          },
        },
      };
      this.socket = new Socket(socketOptions);
      this.socket.once('end', () => this.reader.push(null));
      this.socket.once('error', (error) => this.reader.destroy(error));
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
    process.off('exit', this.removeOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort when the process exits mid-capture (sync: 'exit' handlers cannot wait). */
  private readonly removeOnExit = (): void => rmSync(this.dir, { recursive: true, force: true });

  /** Closes everything: the reader, our write end, the directory. */
  dispose(): void {
    this.releaseWriter();
    this.reader?.destroy();
    this.socket?.destroy();
    this.remove();
  }
}
