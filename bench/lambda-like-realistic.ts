// The realistic function (bench/realistic: S3 + DynamoDB DocumentClient, middy, Powertools) in the
// Lambda-like zip-like section (issue 25 parts 3 and 6): its whole unpacked zip (index.mjs,
// package.json, node_modules, and for the cached row .lambda-bootstrap/compile-cache) is cold on
// the package device, as Lambda unpacks a zip; the managed node and AWS's client stay warm. Rows:
// the wrapper flavour, the wrapper flavour + a compile cache packaged under that flavour
// (build/compile-cache.ts), dist/bootstrap, and AWS's client (the yardstick). Each first invoke sends PutObject and GetItem to
// bench/fake-aws.ts on 127.0.0.1 (started here, closed by close()).
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CompileCacheError, generateCompileCache } from '../build/compile-cache.ts';
import { FakeAws } from './fake-aws.ts';
import { variant } from './lambda-like.ts';
import type { LambdaLikeVariant } from './lambda-like.ts';
import { CREDENTIALS, copyFunction, installFunction } from './realistic.ts';
import { MANAGED_BOOTSTRAP, PINNED_NODE, WORK_DIR, managedEnv } from './runtimes.ts';

const WORK = join(WORK_DIR, 'lambda-like-realistic');
const HANDLER = 'index.handler';

export interface RealisticLambdaLike {
  variants: LambdaLikeVariant[];
  /** Why a row is missing, one line each. */
  unavailable: string[];
  close(): Promise<void>;
}

/** Every regular file under `dir` as [var/task/<relative>, source]; symlinks (node_modules/.bin) are left out. */
function taskFiles(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) out.push([join('var', 'task', relative(dir, path)), path]);
    }
  };
  walk(dir);
  return out;
}

/**
 * The zip-like variants of the realistic function. `wrapperLayer` is the layer's /opt tree
 * (dist/wrapper-layer), `ricDir` AWS's client (the managed runtime directory); either missing
 * leaves the wrapper rows out.
 */
export async function realisticLambdaLikeVariants(options: { binary: string; wrapperLayer: string | undefined; ricDir: string | undefined; install: boolean; log: (line: string) => void }): Promise<RealisticLambdaLike> {
  const unavailable: string[] = [];
  const installed = installFunction(options.install, options.log);
  if (!installed.ok) return { variants: [], unavailable: [`realistic function: ${installed.reason}`], close: async () => {} };
  const fake = await FakeAws.start();
  const env = { ...CREDENTIALS, AWS_ENDPOINT_URL: fake.url };
  const plain = join(WORK, 'function');
  copyFunction(plain);
  const variants: LambdaLikeVariant[] = [];
  variants.push(
    variant('binary-realistic-zip', 'dist/bootstrap, realistic function (zip-like)', 'binary', 'zip', [['opt/bootstrap', options.binary], ...taskFiles(plain)], (root) => ({ command: join(root, 'opt', 'bootstrap'), args: [], env })),
  );
  if (options.wrapperLayer === undefined || options.ricDir === undefined) {
    unavailable.push('realistic function, wrapper rows: the wrapper layer (make layer-wrapper) or aws-lambda-ric (the managed runtime directory) is missing');
  } else {
    const layer = options.wrapperLayer;
    const ric = options.ricDir;
    const layerFiles: [string, string][] = [
      ['opt/lambda-bootstrap-wrapper', join(layer, 'lambda-bootstrap-wrapper')],
      ['opt/lambda-bootstrap/bootstrap.js', join(layer, 'lambda-bootstrap', 'bootstrap.js')],
      ['opt/lambda-bootstrap/package.json', join(layer, 'lambda-bootstrap', 'package.json')],
    ];
    const wrapperLaunch = (root: string) => ({ command: MANAGED_BOOTSTRAP, args: [], env: { ...managedEnv(PINNED_NODE, ric, join(root, 'opt', 'lambda-bootstrap-wrapper')), ...env } });
    // AWS's client on the managed node, the yardstick of the zip rows: only the function is cold.
    variants.push(variant('ric-realistic-zip', 'aws-lambda-ric, managed nodejs24.x, realistic function (zip-like)', 'ric', 'zip', taskFiles(plain), () => ({ command: MANAGED_BOOTSTRAP, args: [], env: { ...managedEnv(PINNED_NODE, ric), ...env } })));
    variants.push(variant('wrapper-realistic-zip', 'wrapper layer on managed node, realistic function (zip-like)', 'wrapper', 'zip', [...layerFiles, ...taskFiles(plain)], wrapperLaunch));
    // The cache is made under the very flavour it is used with: the managed bootstrap's V8 flags
    // (--expose-gc) are part of the cache's tag. Node's portable mode keys entries by path
    // relative to the cache folder, so the copy on the device finds them.
    const cached = join(WORK, 'function-cache');
    copyFunction(cached);
    options.log('lambda-like: packaging the realistic function\'s compile cache under the wrapper flavour (build/compile-cache.ts) ...');
    const report = await generateCompileCache({
      functionDir: cached,
      handler: HANDLER,
      bootstrap: MANAGED_BOOTSTRAP,
      env: { ...env, ...managedEnv(PINNED_NODE, ric, join(layer, 'lambda-bootstrap-wrapper')) },
      event: '{"packaging":true}',
    });
    if (report instanceof CompileCacheError) unavailable.push(`realistic function, wrapper + packaged code cache: ${report.message.split('\n')[0]}`);
    else variants.push(variant('wrapper-cache-realistic-zip', 'wrapper layer + packaged code cache, realistic function (zip-like)', 'wrapper', 'zip', [...layerFiles, ...taskFiles(cached)], wrapperLaunch));
  }
  return { variants, unavailable, close: () => fake.close() };
}
