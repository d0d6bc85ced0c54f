// The HAR 1.2 schema as the har-schema package publishes it (the schema har-validator
// checks against), applied with ajv and its formats: an oracle nobody here wrote.

import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
const schemas = require('har-schema') as Record<string, object>;
// har-schema is written against JSON Schema draft 6, which ajv 8 knows but does not load by default.
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as object;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addMetaSchema(draft06);
for (const schema of Object.values(schemas)) ajv.addSchema(schema);
const validateHar = ajv.getSchema('har.json#')!;

/** Every way `har` breaks HAR 1.2, as "path: message" lines; empty when it is valid. */
export function harViolations(har: unknown): string[] {
  if (validateHar(har)) return [];
  return (validateHar.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'}: ${e.message}`);
}
