// The rules on the live stream: whenever the running set changes (a switch, a reload, a
// hit), every browser gets the whole list again as a `rules` event, so hit counts move
// while the Rules panel is open. A rule that matches a flood changes the list thousands
// of times a second: changes are gathered into one event per interval, as the traffic is.

import type { Server as SocketServer } from 'socket.io';
import type { RuleControl } from '../../model/rules.ts';
import type { LiveEvents } from '../../model/types.ts';
import { LIVE_INTERVAL_MS } from './live.ts';

export class RulesStream {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly io: SocketServer<Record<string, never>, LiveEvents>,
    private readonly rules: RuleControl,
  ) {
    rules.onChange(() => this.changed());
  }

  /** The control keeps its listeners: once the server is closing, changes are let go. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private changed(): void {
    // A browser that connects later asks GET /api/rules first.
    if (this.stopped || this.io.engine.clientsCount === 0) return;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.io.emit('rules', this.rules.list());
    }, LIVE_INTERVAL_MS);
  }
}
