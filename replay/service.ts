// Resend for a running inspector: replays go to the proxy's upstream unless the request
// names another, each upstream through a replay target of its own, started on first use
// and feeding the same recorder as the live traffic, so a replay shows up live like any
// exchange.

import type { Codec } from '../proto/codec.ts';
import type { Recorder } from '../recorder/recorder.ts';
import type { Store } from '../storage/store.ts';
import { Replayer, type ReplayOptions, type ReplayOutcome } from './replayer.ts';
import { ReplayTarget } from './target.ts';

export interface ReplayServiceOptions {
  codec: Codec;
  store: Store;
  recorder: Recorder;
  /** The proxy's upstream: where a replay goes unless told otherwise. */
  upstream: URL;
  insecure?: boolean;
  maxBody?: number;
}

export class ReplayService {
  private readonly replayers = new Map<string, Promise<Replayer>>();
  private readonly targets: Promise<ReplayTarget>[] = [];

  constructor(private readonly options: ReplayServiceOptions) {}

  /** Throws ReplayError (nothing sent) for a replay that cannot be made as asked. */
  async replay(id: number, options: ReplayOptions & { upstream?: URL }): Promise<ReplayOutcome> {
    const replayer = await this.replayerFor(options.upstream ?? this.options.upstream);
    return replayer.replay(id, options);
  }

  private replayerFor(upstream: URL): Promise<Replayer> {
    const key = upstream.href;
    let replayer = this.replayers.get(key);
    if (!replayer) {
      const { codec, store, recorder, insecure, maxBody } = this.options;
      const target = ReplayTarget.start({ upstream, recorder, insecure, maxBody });
      this.targets.push(target);
      replayer = target.then((t) => new Replayer(codec, store, t));
      this.replayers.set(key, replayer);
    }
    return replayer;
  }

  async close(): Promise<void> {
    const targets = await Promise.allSettled(this.targets);
    await Promise.all(targets.map((t) => (t.status === 'fulfilled' ? t.value.close() : undefined)));
  }
}
