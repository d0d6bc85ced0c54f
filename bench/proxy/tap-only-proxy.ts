// This proxy's forwarding core alone (a Tap with no listeners), run as its own process:
// what the benchmark measures with --tap-only, before recording is added on top.

import { startProxy } from '../../proxy/server.ts';
import { Tap } from '../../proxy/tap.ts';

const proxy = await startProxy({ upstream: new URL(process.argv[2]!), listen: { host: '127.0.0.1', port: 0 }, tap: new Tap() });
process.stdout.write(`proxy at http://127.0.0.1:${proxy.address.port},\n`);
process.on('SIGTERM', () => void proxy.close(1000).then(() => process.exit(0)));
