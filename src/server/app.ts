/**
 * The `serve` HTTP application: JSON API, WebSocket stream, Prometheus
 * metrics and the dashboard, over one LiveHub. Built without listening so
 * tests drive it with `inject`; `serve` calls `listen`.
 *
 * Security: with a token every route (pages, assets, API, WebSocket,
 * /metrics, /healthz) needs `Authorization: Bearer TOKEN` or the dashboard's
 * session cookie, obtained by opening a page once with `?token=TOKEN`. On a
 * loopback bind the Host header must name a loopback host (no DNS
 * rebinding), and a WebSocket handshake from another origin is refused.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { lookup } from '../kb/index.js';
import { rowSeverity, triage } from '../kb/triage.js';
import { TraceSession } from '../session.js';
import { SESSION_COOKIE, hostName, isAuthorized, isLoopbackHost, secretEquals, sessionCookieValue } from './auth.js';
import { dashboardScript } from './dashboard/assets.js';
import { DASHBOARD_CSS, dashboardHtml } from './dashboard/page.js';
import { LiveHub, type HubOptions } from './hub.js';

export interface ServerOptions {
  /** The model to serve; a new one when neither this nor `hub` is given. */
  session?: TraceSession;
  /** A hub built by the caller (its session wins over `session`). */
  hub?: LiveHub;
  hubOptions?: HubOptions;
  /** When set, required on every route (compared in constant time, never logged). */
  token?: string;
  /** The address the server will listen on; a loopback address turns on the Host-header check. */
  host?: string;
}

export interface StracectlServer {
  app: FastifyInstance;
  hub: LiveHub;
}

const PAGE_ROUTES = new Set(['/', '/syscall/:name']);

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function isPage(request: FastifyRequest): boolean {
  return request.method === 'GET' && PAGE_ROUTES.has(request.routeOptions.url ?? '');
}

function unauthorizedPage(): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stracectl: token required</title></head><body>' +
    '<h1>Token required</h1><p>This stracectl server was started with a token. Open this page once with <code>?token=YOUR_TOKEN</code> ' +
    'added to the address; the browser then keeps a session cookie.</p></body></html>';
}

/** `/syscall/x?token=…&a=b` → `/syscall/x?a=b`: only a same-site path, never an absolute URL. */
function withoutToken(url: string): string {
  const parsed = new URL(url, 'http://localhost');
  parsed.searchParams.delete('token');
  const path = parsed.pathname.startsWith('//') ? '/' : parsed.pathname;
  return path + parsed.search;
}

/** Builds the app (routes registered, not listening). */
export async function buildServer(options: ServerOptions = {}): Promise<StracectlServer> {
  const hub = options.hub ?? new LiveHub(options.session ?? new TraceSession(), options.hubOptions);
  const session = hub.session;
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  const checkHost = options.host === undefined || isLoopbackHost(options.host);

  const app = Fastify({
    logger: false,
    // Browsers keep connections open; a clean shutdown must not wait for them.
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
  });
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // 1001 "going away" tells the dashboard the server stopped (the default sends no code).
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down');
      this.websocketServer.close(() => undefined);
      done();
    },
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (checkHost && !isLoopbackHost(hostName(request.headers.host ?? ''))) {
      return reply.code(403).send({ error: 'forbidden', message: 'the Host header must name a loopback address' });
    }
    const origin = request.headers.origin;
    if (request.headers.upgrade !== undefined && origin !== undefined) {
      let sameOrigin = false;
      try {
        sameOrigin = new URL(origin).host === (request.headers.host ?? '').toLowerCase();
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) return reply.code(403).send({ error: 'forbidden', message: 'cross-origin WebSocket connections are refused' });
    }
    if (token === undefined || isAuthorized(token, request.headers)) return;
    const query = request.query as Record<string, unknown> | undefined;
    const presented = query?.token;
    if (isPage(request) && typeof presented === 'string' && secretEquals(presented, token)) {
      void reply
        .header('set-cookie', `${SESSION_COOKIE}=${sessionCookieValue(token)}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect(withoutToken(request.url), 303);
      return reply;
    }
    void reply.code(401).header('www-authenticate', 'Bearer realm="stracectl"');
    if (isPage(request)) return reply.type('text/html; charset=utf-8').send(unauthorizedPage());
    return reply.send({ error: 'unauthorized', message: 'a valid token is required (Authorization: Bearer …)' });
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) void reply.header('content-security-policy', CSP);
    return payload;
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${new URL(request.url, 'http://localhost').pathname}` });
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(status).send({ error: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'internal server error' : error.message });
  });

  app.get('/healthz', async () => ({ status: 'ok', input_ended: session.ended, events: session.events }));

  app.get('/api/stats', async (_request, reply) => reply.type('application/json; charset=utf-8').send(hub.statsJson()));

  app.get<{ Params: { name: string } }>('/api/syscall/:name', async (request, reply) => {
    const name = request.params.name.trim();
    const detail = session.detail(name) ?? session.detail(name.toLowerCase());
    if (detail === undefined) {
      return reply.code(404).send({ error: 'not_found', message: `no calls to "${name}" have been seen`, name });
    }
    const { stats, recent_errors } = detail;
    return {
      ...stats,
      recent_errors,
      kb: lookup(stats.name),
      hints: triage({ ...stats, sample_args: recent_errors.map((event) => event.args) }),
      severity: rowSeverity(stats),
    };
  });

  app.get('/api/log', async () => session.log.toArray());

  app.get('/api/stream', { websocket: true }, (socket) => {
    const detach = hub.attach(socket);
    socket.on('close', detach);
    socket.on('error', detach);
  });

  app.get('/metrics', async (_request, reply) => reply.type(hub.metrics.contentType).send(await hub.metrics.text()));

  const page = (view: 'overview' | 'syscall') => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').send(dashboardHtml(view));
  app.get('/', page('overview'));
  app.get('/syscall/:name', page('syscall'));
  app.get('/assets/dashboard.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(await dashboardScript()));
  app.get('/assets/dashboard.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS));

  hub.start();
  app.addHook('onClose', async () => hub.stop());
  return { app, hub };
}
