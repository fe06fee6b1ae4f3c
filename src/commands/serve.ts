import type { AddressInfo } from 'node:net';
import { Args, Flags } from '@oclif/core';
import { from, mergeMap, Subject, type Observable, type Subscription } from 'rxjs';
import { startCapture } from '../capture/index.js';
import { DEFAULT_STRING_LIMIT } from '../capture/straceArgs.js';
import type { BackendChoice, CaptureSession } from '../capture/types.js';
import { BaseCommand, readRecords } from '../command.js';
import { EXIT, StracectlError } from '../errors.js';
import type { TraceRecord } from '../event.js';
import { Diagnostics, FlowControl } from '../io.js';
import { ReportSession } from '../report/timeline.js';
import { checkReportTarget, writeReport } from '../report/write.js';
import { buildServer } from '../server/app.js';
import { isLoopbackHost } from '../server/auth.js';
import { IngestPacer } from '../server/pacer.js';
import { TraceSession } from '../session.js';
import { parsePids } from './capture.js';

export default class Serve extends BaseCommand {
  static summary = 'Serve a live web dashboard, JSON API, WebSocket stream and Prometheus metrics of a trace.';
  static description = [
    'Reads SyscallEvents (NDJSON) from stdin, or traces by itself (`-p PID`, `-- CMD ARGS…`, as `capture` does), and serves them over HTTP: the dashboard at / (live table, category bar, events/s, a detail page per syscall, live log), GET /api/stats, /api/syscall/NAME, /api/log (the last 500 events), the /api/stream WebSocket, /metrics (Prometheus) and /healthz.',
    'Binds 127.0.0.1 unless --host says otherwise. With --token (or STRACECTL_TOKEN) every route requires "Authorization: Bearer TOKEN"; open the dashboard once as /?token=TOKEN and the browser keeps a session cookie. The token is never printed.',
    'The server keeps running after the input ends (the dashboard says so), until Ctrl-C or SIGTERM (exit 130 / 143).',
  ].join('\n\n');
  static examples = [
    'stracectl capture -p 42 | stracectl serve',
    'stracectl serve -p 42',
    'stracectl serve --port 9000 -- curl -s http://127.0.0.1:8080/',
    'STRACECTL_TOKEN=s3cret stracectl serve --host 0.0.0.0 < run.ndjson',
    'stracectl parse trace.txt | stracectl serve --report trace.html',
    'curl -s localhost:8080/api/syscall/openat | jq .error_breakdown',
  ];
  static args = { command: Args.string({ description: 'after --: a command to trace instead of reading stdin', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    host: Flags.string({ description: 'address to bind (a non-loopback address exposes the trace to the network: use --token)', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'TCP port (0: any free port; the URL is printed on stderr)', default: 8080, min: 0, max: 65535 }),
    token: Flags.string({ description: 'require this bearer token on every route (prefer the env variable: flags show up in ps)', env: 'STRACECTL_TOKEN' }),
    report: Flags.string({ description: 'also write the HTML report to this file when the input ends and on shutdown' }),
    pid: Flags.string({ char: 'p', description: 'trace this running process instead of reading stdin (repeatable); with eBPF, stats are aggregated in the kernel (--summary)', multiple: true, multipleNonGreedy: true }),
    follow: Flags.boolean({ char: 'f', description: 'with -p / a command: follow children and threads (default: on for a command, off for -p)', allowNo: true }),
    backend: Flags.string({ description: 'with -p / a command: the tracer, as in capture', options: ['auto', 'strace', 'ebpf'], default: 'auto' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Serve);
    // The command to trace comes from the raw argv (oclif's argv reorders repeated words).
    const dashDash = this.argv.indexOf('--');
    const command = dashDash === -1 ? [] : this.argv.slice(dashDash + 1);
    if (argv.length > command.length) {
      const stray = argv.find((word) => !command.includes(String(word))) ?? argv[0];
      this.usageError(`unexpected argument "${String(stray)}": serve reads events from stdin`, 'pipe events in (stracectl capture -p PID | stracectl serve), or trace directly: stracectl serve -p PID, stracectl serve -- CMD');
    }
    const pids = parsePids(flags.pid ?? [], (message) => this.usageError(message));
    if (pids.length > 0 && command.length > 0) this.usageError('give either -p PID or a command after --, not both');
    const tracing = pids.length > 0 || command.length > 0;
    if (!tracing && (flags.follow !== undefined || flags.backend !== 'auto')) this.usageError('--follow and --backend apply to -p PID or a command after --');
    if (flags.report !== undefined) await checkReportTarget(flags.report);

    const source = pids.length > 0 ? `pid ${pids.join(', ')}` : command.length > 0 ? command.join(' ') : 'stdin';
    const session = flags.report === undefined ? new TraceSession() : new ReportSession();
    const { app, hub } = await buildServer({ session, token: flags.token, host: flags.host, hubOptions: { source, statsMaxAgeMs: 100 } });
    try {
      await app.listen({ host: flags.host, port: flags.port });
    } catch (error) {
      await app.close();
      const { code, message } = error as NodeJS.ErrnoException;
      const reason = code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'address not available on this machine' : code === 'EACCES' ? 'permission denied' : message;
      throw new StracectlError('SERVER_FAILED', `cannot listen on ${flags.host}:${flags.port}: ${reason}`, {
        hint: code === 'EADDRINUSE' ? 'pick another --port (or --port 0 for any free port)' : undefined,
        cause: error,
      });
    }

    const address = app.server.address() as AddressInfo;
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
    this.diagnose(`dashboard at ${url}`);
    if (flags.token !== undefined && flags.token !== '') {
      // The token itself is never printed.
      this.diagnose(`token required: open ${url}?token=<your token> once, or send "Authorization: Bearer <your token>"`);
    }
    if (!isLoopbackHost(flags.host) && (flags.token === undefined || flags.token === '')) {
      this.diagnose(`warning: listening on ${flags.host} without a token: anyone who can reach this port can read the trace (set STRACECTL_TOKEN)`);
    }
    if (!tracing && process.stdin.isTTY) this.diagnose('reading events from stdin (pipe them in: stracectl capture -p PID | stracectl serve)');

    const writeTheReport = async (): Promise<void> => {
      if (flags.report === undefined) return;
      try {
        await writeReport(flags.report, session, { title: `stracectl serve: ${source}`, command: command.length > 0 ? source : undefined, pids: pids.length > 0 ? pids : undefined, generatedAt: new Date().toISOString() });
        this.diagnose(`wrote ${flags.report}`);
      } catch (error) {
        this.diagnose((error as Error).message);
      }
    };

    // Input → hub. The server outlives the input: its end only changes the banner.
    const flow = new FlowControl();
    const pacer = new IngestPacer(flow);
    const stop$ = new Subject<NodeJS.Signals>();
    let capture: CaptureSession | undefined;
    let records$: Observable<TraceRecord>;
    if (tracing) {
      const log = (message: string): void => this.diagnose(message);
      try {
        capture = await startCapture(flags.backend as BackendChoice, {
          pids,
          command: command.length > 0 ? command : undefined,
          follow: flags.follow ?? command.length > 0,
          normalize: true,
          stringLimit: DEFAULT_STRING_LIMIT,
          programOutput: 'stderr',
          // A running process is watched at the kernel's cost only: eBPF summary mode.
          summaryIfEbpf: pids.length > 0,
          flow,
          log,
        }, log);
      } catch (error) {
        await app.close();
        throw error;
      }
      records$ = from([capture]).pipe(mergeMap((started) => started.records$));
    } else {
      records$ = readRecords({ flow, diagnostics: new Diagnostics(this.commandName), stop$ });
    }

    let stopping = false;
    let input: Subscription | undefined;
    const inputDone = new Promise<void>((resolve) => {
      const ended = async (): Promise<void> => {
        hub.end();
        if (!stopping) {
          const status = capture === undefined ? '' : ` (${command.length > 0 ? `command exited with ${await capture.exitStatus.catch(() => 'an error')}` : 'detached'})`;
          this.diagnose(`input ended after ${session.events} events${status}; still serving ${url} (Ctrl-C to stop)`);
        }
        resolve();
      };
      input = records$.subscribe({
        next: (record) => {
          hub.ingest(record);
          pacer.tick();
        },
        error: (error: Error) => {
          this.diagnose(`input failed: ${error.message}`);
          void ended();
        },
        complete: () => void ended(),
      });
    });
    void inputDone.then(() => (stopping ? undefined : writeTheReport()));

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    stopping = true;
    // A second signal while shutting down means "now" (and reaches a stuck tracer first).
    const again = (next: NodeJS.Signals): void => {
      if (capture !== undefined) capture.stop(next);
      process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
    };
    process.once('SIGINT', again);
    process.once('SIGTERM', again);

    if (capture !== undefined) {
      // Detach from -p targets / pass the signal to the command, and take in what it still reports.
      capture.stop(signal);
      await inputDone;
    } else {
      stop$.next(signal);
      stop$.complete();
    }
    input?.unsubscribe();
    await app.close();
    await writeTheReport();
    process.exitCode = signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM;
  }
}
