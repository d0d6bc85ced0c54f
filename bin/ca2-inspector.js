#!/usr/bin/env node
// The published entry point stays plain JavaScript so `npx ca2-inspector` works
// without a build step; tsx compiles the TypeScript sources on the fly.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// V8 sometimes decides, from one scavenge that catches a large decode half way while the
// code warms up, that the decoder's object literals live long, and makes them in old space
// from then on: for the rest of the process, decoding without a schema runs 2-5 times
// slower (about a third of bench:codec's processes did). Set before any of our code runs,
// so every thread of the process has it.
setFlagsFromString('--no-allocation-site-pretenuring');
register();
await import('../cli/main.ts');
