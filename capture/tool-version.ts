/** This ca2-inspector's version, as package.json gives it; captures record it. */
import { readFileSync } from 'node:fs';

export const toolVersion: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
