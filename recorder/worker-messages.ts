// What crosses between the proxy's thread and the recording worker.

export type ToWorker =
  | { type: 'tap'; hook: string; args: unknown[] }
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  | { type: 'fatal'; message: string }
  | { type: 'log'; line: string }
  | { type: 'closed'; stats: { exchanges: number; frames: number; writeFailures: number; dropped: number } };
