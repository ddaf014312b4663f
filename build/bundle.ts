// Step 1 of the binary: esbuild bundles bootstrap.ts into one CommonJS file, the format Node's
// single-executable mechanism runs as its main script.
// Usage: node build/bundle.ts [entry=bootstrap.ts] [outfile=dist/bootstrap.js]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const repoRoot = resolve(import.meta.dirname, '..');

export const ALLOWED_PACKAGES = ['@aws/lambda-invoke-store'];
const ALLOWED_PACKAGE_FILES = ALLOWED_PACKAGES.map((name) => `node_modules/${name}/`);

export type BundleResult = { outfile: string; bytes: number; inputs: number };

export async function bundle(entry: string, outfile: string): Promise<BundleResult> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    // The entry's folder, not the caller's working directory: the metafile's input paths (read
    // back below) and the path comments in the bundle are relative to it, so neither depends on
    // where the build was started from nor where the checkout is (test/build/reproducible.test.ts).
    absWorkingDir: dirname(resolve(entry)),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    // Minifying did not make start-up measurably faster (see README); readable stacks win.
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    packages: 'bundle',
  });
  const inputs = Object.keys(result.metafile.inputs);
  // One runtime dependency, AWS's InvokeStore (the object every AWS library reads, so it must be
  // AWS's own code); anything else that is not a Node built-in must fail loudly here.
  const outside = inputs.filter((p) => p.includes('node_modules/') && !ALLOWED_PACKAGE_FILES.some((allowed) => p.includes(allowed)));
  if (outside.length > 0) throw new Error(`bundle: runtime code must not import packages other than ${ALLOWED_PACKAGES.join(', ')}, but it pulls in: ${outside.join(', ')}`);
  // The repo is "type": "module"; this keeps `node dist/bootstrap.js` running the bundle as CommonJS.
  writeFileSync(join(dirname(outfile), 'package.json'), '{ "type": "commonjs" }\n');
  const code = readFileSync(outfile, 'utf8');
  // One character outside Latin-1 (a comment esbuild keeps) makes V8 hold the whole script as a
  // two-byte string: twice the bytes to read at start, and in a snapshot executable's heap.
  const wide = /[^\x00-\xff]/.exec(code);
  if (wide !== null) {
    const line = code.slice(0, wide.index).split('\n').length;
    throw new Error(`bundle: ${outfile}:${line} has the character "${wide[0]}" (U+${wide[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}), outside Latin-1: write it in ASCII in the source (esbuild kept it from a comment or string there)`);
  }
  // Handlers are loaded with import(<computed path>) at run time; esbuild must leave it alone.
  if (/\bimport\(/.test(readFileSync(entry, 'utf8') + inputs.map((p) => readFileSync(resolve(dirname(resolve(entry)), p), 'utf8')).join('')) && !/\bimport\(/.test(code)) {
    throw new Error('bundle: the sources use import() but the bundle has none: esbuild rewrote dynamic imports');
  }
  return { outfile, bytes: Buffer.byteLength(code), inputs: inputs.length };
}

async function main(argv: string[]): Promise<number> {
  const entry = resolve(argv[0] ?? resolve(repoRoot, 'bootstrap.ts'));
  const outfile = resolve(argv[1] ?? resolve(repoRoot, 'dist/bootstrap.js'));
  try {
    const r = await bundle(entry, outfile);
    console.log(`bundle: ${r.outfile}: ${(r.bytes / 1024).toFixed(1)} KiB from ${r.inputs} input files`);
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
