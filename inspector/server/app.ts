// The inspector's server: the built Preact app, the REST API and the live stream on one listener.

import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import type { LiveEvents } from '../../model/types.ts';
import type { Codec } from '../../proto/codec.ts';
import type { Store } from '../../storage/store.ts';
import { UiToken } from './auth.ts';
import { errorHandler } from './errors.ts';
import { Guard } from './guard.ts';
import { chooseLiveForm, LiveStream } from './live.ts';
import { limitConnections, MAX_CONNECTIONS, serverTimeouts } from './limits.ts';
import { exportRouter } from './export-routes.ts';
import { messageRouter } from './message-routes.ts';
import { apiRouter } from './routes.ts';
import { replayRouter } from './replay-routes.ts';
import { rulesRouter } from './rules-routes.ts';
import { RulesStream } from './rules-live.ts';
import type { RuleControl } from '../../model/rules.ts';
import type { PauseControl } from '../../model/pauses.ts';
import { pauseRouter } from './pause-routes.ts';
import { PausesStream } from './pauses-live.ts';
import type { ReplayService } from '../../replay/service.ts';
import { listen } from '../../proxy/listen.ts';
import { uiDistDir } from '../build.ts';

export interface InspectorServerOptions {
  store: Store;
  host: string;
  port: number;
  /** When set, REST and socket.io require it; null only with `--ui-token off`. */
  token: string | null;
  /** --ui-allow-host values: other names the inspector may be reached by. */
  allowHosts?: string[];
  log: (line: string) => void;
  /** Resend (POST /api/exchanges/:id/replay); without it the route does not exist. */
  replay?: ReplayService;
  /**
   * The loaded schema's codec, and the version exports name. With it, the Export endpoints
   * (they decode the redacted bytes again) and POST /api/messages/check (the message
   * editor's check as the user types) are served.
   */
  export?: { codec: Codec; toolVersion: string };
  /** Serving a file with no proxy (`open`): GET /api/about says so, and the browser offers no Resend or live state. */
  readOnly?: { file: string };
  /** The proxy's running rules (proxy --rules): GET and PATCH /api/rules, and the live `rules` event. Without it the list is empty. */
  rules?: RuleControl;
  /** The proxy's breakpoints: GET /api/paused, POST /api/paused/:id, and the live `paused` and `resumed` events. Without it nothing is paused. */
  pauses?: PauseControl;
  /** Connections open at once, past which new ones are refused (default MAX_CONNECTIONS; see limits.ts). */
  maxConnections?: number;
}

export interface InspectorServer {
  address: { host: string; port: number };
  live: LiveStream;
  close(): Promise<void>;
}

export async function startInspectorServer(options: InspectorServerOptions): Promise<InspectorServer> {
  const { store, log } = options;
  let port = options.port;
  const uiToken = options.token === null ? null : new UiToken(options.token);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  if (uiToken) {
    app.use((req, res, next) => {
      uiToken.setCookieFromLink(req, res);
      next();
    });
    app.use('/api', (req, res, next) => {
      const refusal = uiToken.refusal(uiToken.fromRequest(req));
      if (refusal) return void res.status(refusal.status).json({ error: refusal.message });
      next();
    });
  }
  if (options.replay) app.use('/api', replayRouter(options.replay));
  app.use('/api', rulesRouter(options.rules));
  app.use('/api', pauseRouter(options.pauses));
  if (options.export) {
    // The live stream is made below, once the server is; no export can be asked for before it listens.
    app.use('/api', exportRouter(store, options.export.codec, options.export.toolVersion, (progress) => io.emit('exportProgress', progress), log));
    app.use('/api', messageRouter(options.export.codec));
  }
  app.use('/api', apiRouter(store, options.readOnly));
  if (existsSync(uiDistDir)) {
    app.use(express.static(uiDistDir, { index: 'index.html' }));
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('The inspector UI is not built: run `npm run build:ui`, then reload.\n');
    });
  }
  app.use(errorHandler(log));

  const server = createServer(serverTimeouts, app);
  limitConnections(server, options.maxConnections ?? MAX_CONNECTIONS, log);
  const io = new SocketServer<Record<string, never>, LiveEvents>(server, { serveClient: false });
  if (uiToken) {
    io.use((socket, next) => {
      const refusal = uiToken.refusal(socket.handshake.auth?.token ?? uiToken.fromRequest(socket.request));
      if (!refusal) return next();
      next(Object.assign(new Error(refusal.message), { data: { status: refusal.status } }));
    });
  }
  io.on('connection', chooseLiveForm);
  new Guard({ uiHost: options.host, port: () => port, allowHosts: options.allowHosts ?? [] }).install(server);

  await listen(server, { host: options.host, port: options.port }, '--ui');
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;

  const live = new LiveStream(io);
  const rules = options.rules && new RulesStream(io, options.rules);
  const pauses = options.pauses && new PausesStream(io, options.pauses);
  return {
    address: { host: options.host, port },
    live,
    close: () =>
      new Promise<void>((resolve) => {
        live.stop();
        rules?.stop();
        pauses?.stop();
        io.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
