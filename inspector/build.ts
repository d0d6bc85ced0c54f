// Bundles the Preact app (inspector/ui/main.tsx) into inspector/ui/dist/, which the
// inspector server serves at `/`. Run by `npm run build:ui`; the server may also call
// buildUi() itself when dist/ is missing.
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const uiDir = join(dirname(fileURLToPath(import.meta.url)), 'ui');

/** Where the built app lands: index.html plus hashed app-*.js and app-*.css with their source maps. */
export const uiDistDir = join(uiDir, 'dist');

const favicon =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E" +
  "%3Crect width='16' height='16' rx='3' fill='%232f6feb'/%3E" +
  "%3Cpath d='M4 5h8M4 8h5M4 11h7' stroke='white' stroke-width='1.6' stroke-linecap='round'/%3E%3C/svg%3E";

function indexHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ca2-inspector</title>
<link rel="icon" href="${favicon}">
<link rel="stylesheet" href="./${stylesheet}">
<script type="module" src="./${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The ca2 inspector needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Builds the app into uiDistDir, replacing what was there. */
export async function buildUi(): Promise<void> {
  await rm(uiDistDir, { recursive: true, force: true });
  await mkdir(uiDistDir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(uiDir, 'main.tsx') },
    outdir: uiDistDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // light-dark() colours and container queries need browsers from 2024 on.
    target: ['chrome123', 'firefox120', 'safari17.5'],
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
  const script = outputs.find((file) => file.endsWith('.js'));
  const stylesheet = outputs.find((file) => file.endsWith('.css'));
  if (!script || !stylesheet) {
    throw new Error(`esbuild produced ${outputs.join(', ')} but the inspector needs one .js and one .css file.`);
  }
  await writeFile(join(uiDistDir, 'index.html'), indexHtml(script, stylesheet));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  try {
    await buildUi();
    process.stdout.write(`inspector UI built into ${uiDistDir} in ${Math.round(performance.now() - started)} ms\n`);
  } catch (err) {
    process.stderr.write(`The inspector UI did not build: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
