#!/usr/bin/env node
// The published entry point stays plain JavaScript so `npx ca2-inspector` works
// without a build step; tsx compiles the TypeScript sources on the fly.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
