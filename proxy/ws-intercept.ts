// WebSocket frames through the interception stage (proxy/intercept.ts), for the relay
// (proxy/ws.ts) while a rule is armed for frames: each frame's verdict applied in the
// order the frames came, per direction, and frames a rule injects, either with a verdict or
// later, from a breakpoint.

import { WebSocket } from 'ws';
import type { FrameDirection } from '../model/types.ts';
import type { FlowRecord } from './flows.ts';
import type { FrameVerdict, InterceptHead, InterceptStage } from './intercept.ts';
import type { TappedFrame } from './tap.ts';

/** What frame interception asks of the relay it serves. */
export interface FrameRelay {
  readonly flow: FlowRecord;
  readonly method: string;
  readonly path: string;
  /** Aborted once the connection has ended, so that whatever the stage still holds of it ends too. */
  readonly gone: AbortSignal;
  /** Whether frames still pass: the connection is open and no side has closed it yet. */
  isOpen(): boolean;
  /** The socket towards the other side from `from`; null before the connection opens. */
  towards(from: FrameDirection): WebSocket | null;
  tapFrame(direction: FrameDirection, opcode: number, data: Uint8Array, ruled?: Pick<TappedFrame, 'rule' | 'mark' | 'original'>): void;
  batchWrites(from: FrameDirection): void;
  /** A rule ends the connection: both sides get its close code and reason, or are cut off. */
  endOnPurpose(end: NonNullable<FrameVerdict['end']>, rule: string): void;
}

export class FrameInterception {
  /** Per direction, the last frame the rules are still deciding on; those after it wait for it. */
  private readonly held: Record<FrameDirection, Promise<void> | null> = { client: null, server: null };
  /** Bytes of frames from each side waiting behind a held one: past highWater that side is not read until they go. */
  private readonly heldBytes: Record<FrameDirection, number> = { client: 0, server: 0 };
  /** What the rules are told of this connection, made at its first frame and shared by the rest. */
  private head: InterceptHead | null = null;

  constructor(
    private readonly relay: FrameRelay,
    /** The relay's bound on bytes queued towards a side, applied to the frames held from each side too. */
    private readonly highWater: number,
  ) {}

  /** The last frame from `side` the rules are still deciding on, or null: a close from that side goes after it. */
  heldFrom(side: FrameDirection): Promise<void> | null {
    return this.held[side];
  }

  /**
   * A frame through the rules. Their verdicts are applied in the order the frames came,
   * per direction: one a rule delays holds back those after it, so order is kept.
   */
  message(stage: InterceptStage, direction: FrameDirection, data: Buffer, isBinary: boolean, from: WebSocket, to: WebSocket): void {
    const { relay } = this;
    const opcode = isBinary ? 2 : 1;
    this.head ??= {
      flowId: relay.flow.id,
      kind: relay.flow.kind,
      method: relay.method,
      path: relay.path,
      headers: relay.flow.requestHeaders,
      inject: (side, frame, rule) => this.inject(side, frame, rule),
      gone: relay.gone,
    };
    const waiting = this.held[direction];
    let verdict: FrameVerdict | Promise<FrameVerdict>;
    try {
      if (waiting !== null) stage.queued(this.head, direction);
      verdict = stage.frame(this.head, direction, opcode, data);
    } catch (err) {
      stage.failed('frame', err);
      verdict = unchangedFrame(data);
    }
    if (waiting === null && !(verdict instanceof Promise)) return this.apply(direction, opcode, data, verdict, to);
    this.heldBytes[direction] += data.length;
    if (this.heldBytes[direction] > this.highWater && !from.isPaused) from.pause();
    const next = (waiting ?? Promise.resolve())
      .then(() => verdict)
      .catch((err: unknown) => {
        stage.failed('frame', err);
        return unchangedFrame(data);
      })
      .then((v) => {
        this.heldBytes[direction] -= data.length;
        if (relay.isOpen()) this.apply(direction, opcode, data, v, to);
        if (from.isPaused && this.heldBytes[direction] <= this.highWater / 2) from.resume();
      })
      .finally(() => {
        if (this.held[direction] === next) this.held[direction] = null;
      });
    this.held[direction] = next;
  }

  /** A frame of the stage's own, sent now to the side `from` did not come from (a breakpoint's inject). */
  private inject(from: FrameDirection, data: Uint8Array, rule: string): boolean {
    const to = this.relay.towards(from);
    if (!this.relay.isOpen() || to === null || to.readyState !== WebSocket.OPEN) return false;
    this.relay.tapFrame(from, 2, data, { rule, mark: 'injected' });
    to.send(data, { binary: true });
    return true;
  }

  private apply(direction: FrameDirection, opcode: number, data: Buffer, verdict: FrameVerdict, to: WebSocket): void {
    const { relay } = this;
    const rule = verdict.rule ?? undefined;
    const { send } = verdict;
    if (send === null) relay.tapFrame(direction, opcode, data, { rule, mark: 'dropped' });
    else if (send !== data) relay.tapFrame(direction, opcode, send, { rule, original: data, ...(verdict.atBreakpoint && { mark: 'breakpoint' as const }) });
    else relay.tapFrame(direction, opcode, data, rule === undefined ? undefined : { rule });
    const open = to.readyState === WebSocket.OPEN;
    if (open) relay.batchWrites(direction);
    if (open && send !== null) to.send(send, { binary: opcode === 2 });
    for (const frame of verdict.inject) {
      relay.tapFrame(direction, opcode, frame, { rule, mark: 'injected' });
      if (open) to.send(frame, { binary: opcode === 2 });
    }
    if (verdict.end !== null) relay.endOnPurpose(verdict.end, rule ?? 'a rule');
  }
}

function unchangedFrame(data: Uint8Array): FrameVerdict {
  return { send: data, inject: [], end: null, rule: null };
}
