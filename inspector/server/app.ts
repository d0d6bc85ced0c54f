// The inspector's server: the built Preact app, the REST API and the live stream on one listener.

import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import type { LiveEvents } from '../../model/types.ts';
import type { Store } from '../../storage/store.ts';
import { requireToken, tokenMatches } from './auth.ts';
import { LiveStream } from './live.ts';
import { apiRouter } from './routes.ts';
import { replayRouter } from './replay-routes.ts';
import type { ReplayService } from '../../replay/service.ts';
import { listen } from '../../proxy/listen.ts';
import { uiDistDir } from '../build.ts';

export interface InspectorServerOptions {
  store: Store;
  host: string;
  port: number;
  /** When set, REST and socket.io require it. */
  token: string | null;
  log: (line: string) => void;
  /** Resend (POST /api/exchanges/:id/replay); without it the route does not exist. */
  replay?: ReplayService;
}

export interface InspectorServer {
  address: { host: string; port: number };
  live: LiveStream;
  close(): Promise<void>;
}

export async function startInspectorServer(options: InspectorServerOptions): Promise<InspectorServer> {
  const { store, token, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  if (token) app.use('/api', requireToken(token));
  if (options.replay) app.use('/api', replayRouter(options.replay));
  app.use('/api', apiRouter(store));
  if (existsSync(uiDistDir)) {
    app.use(express.static(uiDistDir, { index: 'index.html' }));
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('The inspector UI is not built: run `npm run build:ui`, then reload.\n');
    });
  }
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    log(`inspector: ${err.message}`);
    res.status(500).json({ error: `The inspector failed to answer: ${err.message}` });
  });

  const server = createServer(app);
  const io = new SocketServer<Record<string, never>, LiveEvents>(server, { serveClient: false });
  if (token) {
    io.use((socket, next) => {
      if (tokenMatches(token, socket.handshake.auth?.token)) return next();
      next(new Error('This inspector needs its token: open the link printed when the proxy started.'));
    });
  }

  await listen(server, { host: options.host, port: options.port }, '--ui');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    address: { host: options.host, port },
    live: new LiveStream(io),
    close: () =>
      new Promise<void>((resolve) => {
        io.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
