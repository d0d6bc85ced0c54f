// The folders run one way (README, Layout): every import of every source file is read
// with TypeScript's own scanner (static imports, export-from and dynamic import()), its
// relative path resolved to a folder, and checked against the rules below. A break names
// the file, the line, the import and the rule. The same walk checks that tsconfig.json
// type-checks every source file and that no source file outside test/ grows past 450 lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
const maxLines = 450;

/** Lower first: a folder may import those before it and those beside it, never one after it. */
const order = [['model'], ['proto'], ['storage'], ['proxy'], ['recorder'], ['intercept'], ['replay', 'capture', 'mock'], ['inspector'], ['app'], ['cli'], ['bin']];
/** Folders outside the order, each with a rule of its own below. */
const apart = ['demo', 'support', 'test', 'bench'];

interface Source {
  /** Relative to the project root, with forward slashes. */
  file: string;
  text: string;
}

interface Import {
  line: number;
  specifier: string;
  /** The path it resolves to, relative to the root (relative specifiers only). */
  target: string | null;
}

function sources(): Source[] {
  const found: Source[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.name.startsWith('.') || path === 'node_modules') continue;
      if (entry.isDirectory()) walk(path);
      else if (dir !== '' && /\.tsx?$/.test(entry.name)) found.push({ file: path, text: readFileSync(join(root, path), 'utf8') });
    }
  };
  walk('');
  return found;
}

function importsOf(source: Source): Import[] {
  const lineOf = (pos: number) => source.text.slice(0, pos).split('\n').length;
  return ts.preProcessFile(source.text, true, true).importedFiles.map(({ fileName, pos }) => ({
    line: lineOf(pos),
    specifier: fileName,
    target: fileName.startsWith('.') ? relative(root, resolve(root, dirname(source.file), fileName)).split(sep).join('/') : null,
  }));
}

const top = (path: string) => path.split('/')[0]!;
const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const level = (folder: string) => order.findIndex((names) => names.includes(folder));

/** The rule `imp` in `file` breaks, as a sentence, or null. */
function broken(file: string, imp: Import): string | null {
  const from = top(file);
  if (imp.target === null) {
    if (under(file, 'inspector/ui') && isBuiltin(imp.specifier)) return 'inspector/ui/ is browser code: no Node imports';
    if (from === 'model' && isBuiltin(imp.specifier)) return 'model/ is shared with the browser: no Node imports';
    if (from === 'proxy' && /^(better-sqlite3|protobufjs)(\/|$)/.test(imp.specifier)) return 'proxy/ knows no SQL or decoding';
    return null;
  }
  if (imp.target.startsWith('..')) return 'imports reach outside the project';
  const to = top(imp.target);
  if (from === to && !under(file, 'inspector/ui')) return null;
  if (under(file, 'inspector/ui') && !under(imp.target, 'inspector/ui') && to !== 'model') return 'inspector/ui/ imports only model/ and itself';
  if ((to === 'test' || to === 'bench') && from !== to) return `nothing imports ${to}/`;
  if (to === 'support' && from !== 'test' && from !== 'bench' && from !== 'support') return 'support/ is imported only by test/ and bench/';
  if (from === 'demo' && to !== 'proto' && to !== 'model') return 'demo/ stands alone: it imports only proto/ and model/';
  if (from === 'proxy' && to !== 'model') return 'proxy/ imports only model/: it knows no SQL or decoding';
  if (apart.includes(from) || apart.includes(to)) return null;
  if (level(to) > level(from)) return `${to}/ is above ${from}/ (${order.map((names) => names.join(', ')).join(' → ')}): a lower folder may not import a higher one`;
  return null;
}

test('no import climbs back up: each follows the rules of the folders it joins', () => {
  const all = sources();
  const breaks: string[] = [];
  for (const folder of new Set(all.map((s) => top(s.file)))) {
    if (level(folder) < 0 && !apart.includes(folder)) breaks.push(`${folder}/ is in no rule: give it a place in the order or a rule of its own`);
  }
  for (const source of all) {
    for (const imp of importsOf(source)) {
      const rule = broken(source.file, imp);
      if (rule !== null) breaks.push(`${source.file}:${imp.line} imports '${imp.specifier}': ${rule}`);
    }
  }
  assert.deepEqual(breaks, []);
});

test('tsconfig.json type-checks every source file in every top-level folder', () => {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  assert.equal(config.error, undefined);
  const checked = new Set(ts.parseJsonConfigFileContent(config.config, ts.sys, root).fileNames.map((f) => relative(root, f).split(sep).join('/')));
  const left = sources().filter((s) => !checked.has(s.file));
  assert.deepEqual(
    [...new Set(left.map((s) => top(s.file)))].map((folder) => `${folder}/ (${left.filter((s) => top(s.file) === folder).map((s) => s.file).join(', ')})`),
    [],
    "folders tsconfig.json's include leaves out",
  );
});

test(`no source file outside test/ has more than ${maxLines} lines`, () => {
  const long = sources()
    .filter((s) => top(s.file) !== 'test')
    .map((s) => ({ file: s.file, lines: s.text.split('\n').length - (s.text.endsWith('\n') ? 1 : 0) }))
    .filter((s) => s.lines > maxLines)
    .map((s) => `${s.file}: ${s.lines} lines; split it by concept`);
  assert.deepEqual(long, []);
});
