// Where replayed traffic goes out: the proxy's own forwarding core, listening on a
// loopback port of its own in front of the upstream the user named, with a tap into the
// recorder. A replay connects to it like any client, so what is recorded is what
// crossed the wire, and every exchange it makes is marked with the id it replays.
//
// Each replay opens its own connection, registered by its local port before anything is
// sent, so the tap can tell which recorded exchange a flow replays even when several
// replays run at once. The target's flows are marked as replays, and get negative ids: a
// recorder shared with a live proxy (the inspector's Resend) keys open flows, frames and
// closes by flow id, and the target's proxy numbers its flows from 1 as the live one does.

import net from 'node:net';
import { startProxy, type ProxyServer } from '../proxy/server.ts';
import { Tap, type TapListener, type TappedClose, type TappedFlow, type TappedFrame } from '../proxy/tap.ts';
import type { Recorder } from '../recorder/recorder.ts';

export interface ReplayTargetOptions {
  upstream: URL;
  recorder: Recorder;
  insecure?: boolean;
  maxBody?: number;
  upstreamTimeoutMs?: number;
}

/** What the recorder made of one replay connection's exchange. */
export interface RecordedReplay {
  exchangeId: number;
  flow: TappedFlow;
}

export interface ReplayConnection {
  socket: net.Socket;
  /** host:port of the target, for the Host header. */
  host: string;
  /** Settles once the exchange (for a WebSocket, the connection) has ended and been recorded. */
  recorded: Promise<RecordedReplay>;
}

interface Registration {
  originalId: number;
  exchangeId?: number;
  settle(result: RecordedReplay): void;
}

/** The target's proxy and, as its tap listener, the recorder's view of its flows. */
export class ReplayTarget implements TapListener {
  private proxy!: ProxyServer;
  private readonly byPort = new Map<number, Registration>();
  private readonly byFlow = new Map<number, Registration>();

  private constructor(private readonly recorder: Recorder) {}

  static async start(options: ReplayTargetOptions): Promise<ReplayTarget> {
    const target = new ReplayTarget(options.recorder);
    const tap = new Tap();
    tap.add(target);
    target.proxy = await startProxy({
      upstream: options.upstream,
      listen: { host: '127.0.0.1', port: 0 },
      tap,
      insecure: options.insecure,
      maxBody: options.maxBody,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
    });
    return target;
  }

  /** A fresh connection to the target whose traffic is recorded as a replay of `originalId`. */
  connect(originalId: number): Promise<ReplayConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.proxy.address.host, port: this.proxy.address.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const port = socket.localPort!;
        let settle!: (result: RecordedReplay) => void;
        let refuse!: (err: Error) => void;
        const recorded = new Promise<RecordedReplay>((done, fail) => ((settle = done), (refuse = fail)));
        const registration: Registration = { originalId, settle };
        this.byPort.set(port, registration);
        // The proxy's HTTP parser can refuse a request before any flow starts (a malformed head).
        socket.once('close', () => {
          if (registration.exchangeId !== undefined) return;
          this.byPort.delete(port);
          refuse(new Error('the replay proxy refused the request before forwarding it'));
        });
        resolve({ socket, recorded, host: `127.0.0.1:${this.proxy.address.port}` });
      });
    });
  }

  close(): Promise<void> {
    return this.proxy.close(1_000);
  }

  requestStarted(flow: TappedFlow): void {
    // Only registered connections are replays; anything else reaching this loopback port is not recorded.
    const registration = this.byPort.get(portOf(flow.clientAddress));
    if (!registration) return;
    this.byFlow.set(flow.id, registration);
    this.recorder.requestStarted(relabel(flow, registration));
    registration.exchangeId = this.recorder.exchangeIdOf(-flow.id);
  }

  exchangeEnded(flow: TappedFlow): void {
    const registration = this.byFlow.get(flow.id);
    if (!registration) return;
    this.recorder.exchangeEnded(relabel(flow, registration));
    const upgraded = flow.kind === 'ws' && flow.response?.status === 101 && !flow.error;
    if (!upgraded) this.ended(flow, registration);
  }

  wsFrame(frame: TappedFrame): void {
    if (this.byFlow.has(frame.flowId)) this.recorder.wsFrame({ ...frame, flowId: -frame.flowId });
  }

  wsClosed(flow: TappedFlow, close: TappedClose): void {
    const registration = this.byFlow.get(flow.id);
    if (!registration) return;
    this.recorder.wsClosed(relabel(flow, registration), { ...close, flowId: -close.flowId });
    this.ended(flow, registration);
  }

  private ended(flow: TappedFlow, registration: Registration): void {
    this.byFlow.delete(flow.id);
    this.byPort.delete(portOf(flow.clientAddress));
    registration.settle({ exchangeId: registration.exchangeId!, flow });
  }
}

function relabel(flow: TappedFlow, registration: Registration): TappedFlow {
  return { ...flow, id: -flow.id, source: 'replay', replayOf: registration.originalId };
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}
