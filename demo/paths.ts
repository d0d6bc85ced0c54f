import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the demo's illustrative .proto folder. Pass it to the proxy as
 * `--proto demo/protos` to decode the demo's traffic field by field.
 */
export const demoProtoDir = join(dirname(fileURLToPath(import.meta.url)), 'protos');
