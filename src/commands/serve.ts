import type { AddressInfo } from 'node:net';
import { Args, Flags } from '@oclif/core';
import { Subject, type Subscription } from 'rxjs';
import { BaseCommand, readRecords } from '../command.js';
import { EXIT, StracectlError } from '../errors.js';
import { Diagnostics, FlowControl } from '../io.js';
import { ReportSession } from '../report/timeline.js';
import { checkReportTarget, writeReport } from '../report/write.js';
import { buildServer } from '../server/app.js';
import { IngestPacer } from '../server/pacer.js';
import { TraceSession } from '../session.js';

export default class Serve extends BaseCommand {
  static summary = 'Serve a live web dashboard, JSON API, WebSocket stream and Prometheus metrics of a trace.';
  static description =
    'Reads SyscallEvents (NDJSON) from stdin and serves them over HTTP: the dashboard at / (live table, category bar, events/s, detail page per syscall, live log), GET /api/stats, /api/syscall/NAME, /api/log (last 500 events), the /api/stream WebSocket, /metrics (Prometheus) and /healthz. Binds 127.0.0.1 unless --host says otherwise. With --token (or STRACECTL_TOKEN) every route requires "Authorization: Bearer TOKEN"; open the dashboard once as /?token=TOKEN and the browser keeps a session cookie. The server keeps running after the input ends, until Ctrl-C or SIGTERM.';
  static examples = [
    'stracectl capture -p 42 | stracectl serve',
    'STRACECTL_TOKEN=s3cret stracectl serve --port 9000 < run.ndjson',
    'stracectl parse trace.txt | stracectl serve --report trace.html',
    'curl -s localhost:8080/api/syscall/openat | jq .error_breakdown',
  ];
  static args = { command: Args.string({ description: 'after --: a command to trace (not available in this build)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    host: Flags.string({ description: 'address to bind (a non-loopback address exposes the trace to the network)', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'TCP port (0: any free port; the URL is printed on stderr)', default: 8080, min: 0, max: 65535 }),
    token: Flags.string({ description: 'require this bearer token on every route (prefer the env variable: flags show up in ps)', env: 'STRACECTL_TOKEN' }),
    report: Flags.string({ description: 'also write the HTML report to this file when the input ends and on shutdown' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Serve);
    if (argv.length > 0) {
      this.usageError(`unexpected argument "${String(argv[0])}": serve reads events from stdin`, 'pipe events in: stracectl capture -p PID | stracectl serve');
    }
    if (flags.report !== undefined) await checkReportTarget(flags.report);

    const session = flags.report === undefined ? new TraceSession() : new ReportSession();
    const { app, hub } = await buildServer({ session, token: flags.token, host: flags.host, hubOptions: { source: 'stdin', statsMaxAgeMs: 0 } });
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
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${shownHost}:${address.port}/`;
    this.diagnose(`dashboard at ${url}`);
    if (flags.token !== undefined && flags.token !== '') {
      // The token itself is never printed.
      this.diagnose(`token required: open ${url}?token=<your token> once, or send "Authorization: Bearer <your token>"`);
    }
    if (process.stdin.isTTY) this.diagnose('reading events from stdin (pipe them in: stracectl capture -p PID | stracectl serve)');

    const writeTheReport = async (): Promise<void> => {
      if (flags.report === undefined) return;
      try {
        await writeReport(flags.report, session, { title: 'stracectl serve', pids: [...session.pids], generatedAt: new Date().toISOString() });
        this.diagnose(`wrote ${flags.report}`);
      } catch (error) {
        this.diagnose((error as Error).message);
      }
    };

    // Input → hub. The server outlives the input: an ended stdin only changes the banner.
    const diagnostics = new Diagnostics('serve');
    const stop$ = new Subject<NodeJS.Signals>();
    let input: Subscription | undefined;
    let stopping = false;
    const flow = new FlowControl();
    const pacer = new IngestPacer(flow);
    const inputDone = new Promise<void>((resolve) => {
      input = readRecords({ flow, diagnostics, stop$ }).subscribe({
        next: (record) => {
          hub.ingest(record);
          pacer.tick();
        },
        error: (error: Error) => {
          this.diagnose(`input failed: ${error.message}`);
          hub.end();
          resolve();
        },
        complete: () => {
          hub.end();
          if (!stopping) this.diagnose(`input ended after ${session.events} events; still serving ${url} (Ctrl-C to stop)`);
          resolve();
        },
      });
    });
    void inputDone.then(() => (stopping ? undefined : writeTheReport()));

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    // A second signal while shutting down means "now".
    const force = (): never => process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);

    stopping = true;
    stop$.next(signal);
    stop$.complete();
    input?.unsubscribe();
    await app.close();
    await writeTheReport();
    process.exitCode = signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM;
  }
}
