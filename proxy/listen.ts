// Starting to listen, with failures a user can act on: shared by the proxy's listener
// and the inspector's, each naming its own option.

import type { Server } from 'node:net';
import { UserError } from '../model/user-error.ts';

export function listen(server: Server, { host, port }: { host: string; port: number }, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { code?: string }) => reject(new UserError(listenFailure(err, host, port, flag)));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

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
