// Starting to listen, with failures a user can act on: shared by the proxy's listener,
// the inspector's and the mock's, each naming its own option. Once listening, nothing a
// client does may take the process (or the recorder's thread) down with it.

import type { Server, Socket } from 'node:net';
import { UserError } from '../model/user-error.ts';

export function listen(server: Server, { host, port }: { host: string; port: number }, flag: string): Promise<void> {
  // A listen that failed may be tried again on the same server.
  if (!server.listeners('connection').includes(hearSocketErrors)) server.on('connection', hearSocketErrors);
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { code?: string }) => reject(new UserError(listenFailure(err, host, port, flag)));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // Past listen, a server error (EMFILE on accept, say) must not take the process down.
      server.on('error', (err) => process.emitWarning(`the ${flag} listener: ${err.message}`));
      resolve();
    });
  });
}

/**
 * A socket that errors with no listener throws in whichever thread owns it. Node's HTTP
 * server listens while it parses, but not once it hands a socket over for an upgrade, and
 * every code path that then writes to it (a refusal, a relay, a library) would need its
 * own: a client that resets at the wrong moment killed the inspector and the recorder
 * with it. So every accepted socket gets one for its whole life. An erroring socket is
 * already being destroyed; whoever owns it hears of that through 'close'.
 */
function hearSocketErrors(socket: Socket): void {
  socket.on('error', ignore);
}

function ignore(): void {}

function listenFailure(err: Error & { code?: string }, host: string, port: number, flag: string): string {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use; pick another ${flag}`;
    case 'EACCES':
      return `${where} needs privileges this process does not have; pick a port above 1023 with ${flag}`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; pick another ${flag}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} is not a host name this machine can resolve; pick another ${flag}`;
    default:
      return `cannot listen on ${where}: ${err.message}`;
  }
}
