// The realistic function (bench/realistic: S3 + DynamoDB DocumentClient, middy, Powertools) in the
// Lambda-like section (issue 25 parts 3, 4 and 6): its files are cold on the package device, as
// Lambda unpacks a zip or lazily loads an image; for zip-like rows the managed node and AWS's client
// stay warm. Rows:
//   zip-like    AWS's client (the yardstick), the wrapper flavour plain, + a compile cache packaged
//               under that flavour (build/compile-cache.ts), bundled (esbuild), bundled + cache;
//               dist/bootstrap
//   image-like  a nodejs24.x image (node, AWS's client, the function), dist/bootstrap, the
//               per-function snapshot executable (build/snapshot/snapshot.ts), Bun `--compile --bytecode`
//               of runtime + function
// Each first invoke sends PutObject and GetItem to bench/fake-aws.ts on 127.0.0.1 (started here,
// closed by close()); a start that did not is a failed sample.
import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CompileCacheError, generateCompileCache } from '../build/compile-cache.ts';
import { SnapshotError, buildSnapshotExecutable } from '../build/snapshot/snapshot.ts';
import { REGION } from '../emulator/runtime-environment.ts';
import { FakeAws } from './fake-aws.ts';
import { variant } from './lambda-like.ts';
import type { LambdaLikeVariant } from './lambda-like.ts';
import { CREDENTIALS, bundleFunction, compileBun, copyFunction, installFunction } from './realistic.ts';
import { MANAGED_BOOTSTRAP, PINNED_NODE, WORK_DIR, managedEnv } from './runtimes.ts';

const WORK = join(WORK_DIR, 'lambda-like-realistic');
const HANDLER = 'index.handler';

export interface RealisticLambdaLike {
  variants: LambdaLikeVariant[];
  /** Why a row is missing, one line each. */
  unavailable: string[];
  /** Checks that the start just measured sent one PutObject and one GetItem; call after each start. */
  checkSent(before: { s3Put: number; dynamoGet: number }): void;
  counts(): { s3Put: number; dynamoGet: number };
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

function realistic(v: LambdaLikeVariant): LambdaLikeVariant {
  return { ...v, realistic: true };
}

/**
 * The Lambda-like variants of the realistic function. `binary` is this run's dist/bootstrap (its
 * folder holds bootstrap.js, which the snapshot executable is built from); `wrapperLayer` the
 * layer's /opt tree (dist/wrapper-layer), `ricDir` AWS's client (the managed runtime directory),
 * `bun` Bun's binary: any of them missing leaves its rows out, named in `unavailable`.
 */
export async function realisticLambdaLikeVariants(options: {
  binary: string;
  wrapperLayer: string | undefined;
  ricDir: string | undefined;
  bun: string | undefined;
  install: boolean;
  log: (line: string) => void;
}): Promise<RealisticLambdaLike> {
  const unavailable: string[] = [];
  const installed = installFunction(options.install, options.log);
  if (!installed.ok) return { variants: [], unavailable: [`realistic function: ${installed.reason}`], checkSent: () => {}, counts: () => ({ s3Put: 0, dynamoGet: 0 }), close: async () => {} };
  const fake = await FakeAws.start();
  const env = { ...CREDENTIALS, AWS_ENDPOINT_URL: fake.url };
  const plain = join(WORK, 'function');
  copyFunction(plain);
  const variants: LambdaLikeVariant[] = [];
  const binaryLaunch = (root: string) => ({ command: join(root, 'opt', 'bootstrap'), args: [], env });
  const binaryFiles: [string, string][] = [['opt/bootstrap', options.binary], ...taskFiles(plain)];
  variants.push(
    variant('binary-realistic-zip', 'dist/bootstrap (zip-like)', 'binary', 'zip', binaryFiles, binaryLaunch, 'binary-realistic'),
    variant('binary-realistic-image', 'dist/bootstrap (image-like)', 'binary', 'image', binaryFiles, binaryLaunch, 'binary-realistic'),
  );

  // The per-function snapshot executable, shipped as an image's entry point beside the function's
  // files (node_modules included: the handler module loads from disk).
  options.log('lambda-like: building the realistic function\'s snapshot executable (build/snapshot/snapshot.ts) ...');
  const snapshot = await buildSnapshotExecutable({ functionDir: plain, handler: HANDLER, runtimeBundle: join(dirname(options.binary), 'bootstrap.js'), outDir: join(WORK, 'snapshot-out') });
  if (snapshot instanceof SnapshotError) unavailable.push(`realistic function, snapshot executable: ${snapshot.message.split('\n')[0]}`);
  else variants.push(variant('snapshot-realistic-image', 'snapshot executable (image-like)', 'snapshot', 'image', [['opt/bootstrap', snapshot.executable], ...taskFiles(plain)], binaryLaunch));

  // Init at build (issue 25 part 2): the handler's init runs at build with the deployment's
  // non-secret configuration, the variables init reads as the bench's sandboxes have them.
  const initSnapshot = await buildSnapshotExecutable({
    functionDir: plain,
    handler: HANDLER,
    runtimeBundle: join(dirname(options.binary), 'bootstrap.js'),
    outDir: join(WORK, 'snapshot-init-out'),
    initAtBuild: true,
    env: { AWS_ENDPOINT_URL: fake.url, AWS_REGION: REGION, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
  });
  if (initSnapshot instanceof SnapshotError) unavailable.push(`realistic function, snapshot executable with init at build: ${initSnapshot.message.split('\n').find((line) => /^\w*Error: /.test(line)) ?? initSnapshot.message.split('\n')[0]}`);
  else variants.push(variant('snapshot-init-realistic-image', 'snapshot executable, init at build (image-like)', 'snapshot', 'image', [['opt/bootstrap', initSnapshot.executable], ...taskFiles(plain)], binaryLaunch));

  if (options.bun === undefined) unavailable.push('realistic function, bun --compile --bytecode: bun is not installed in bench/peers');
  else {
    const compiled = await compileBun(options.bun, plain, join(WORK, 'bun'));
    if (!compiled.ok) unavailable.push(`realistic function, bun --compile --bytecode: ${compiled.reason}`);
    // Runtime and function in one executable; the task root holds only the one-line shim handing
    // the compiled-in handler to the runtime's loader.
    else variants.push(variant('bun-bytecode-realistic-image', 'bun --compile --bytecode, runtime + function (image-like)', 'bun', 'image', [['opt/bootstrap', compiled.value.binary], ...taskFiles(compiled.value.shim)], binaryLaunch));
  }

  if (options.ricDir === undefined) unavailable.push('realistic function, aws-lambda-ric rows: aws-lambda-ric is not built');
  else {
    const ric = options.ricDir;
    // AWS's client on the managed node, the yardstick of the zip rows: only the function is cold.
    variants.push(variant('ric-realistic-zip', 'aws-lambda-ric, managed nodejs24.x (zip-like)', 'ric', 'zip', taskFiles(plain), () => ({ command: MANAGED_BOOTSTRAP, args: [], env: { ...managedEnv(PINNED_NODE, ric), ...env } })));
    // A nodejs24.x container image: node and AWS's client come with the image, so they are cold too.
    variants.push(
      variant(
        'ric-realistic-image',
        'aws-lambda-ric, nodejs24.x image (image-like)',
        'ric',
        'image',
        [['var/lang/bin/node', PINNED_NODE], ['var/runtime/index.mjs', join(ric, 'index.mjs')], ['var/runtime/rapid-client.node', join(ric, 'rapid-client.node')], ...taskFiles(plain)],
        (root) => ({ command: MANAGED_BOOTSTRAP, args: [], env: { ...managedEnv(join(root, 'var', 'lang', 'bin', 'node'), join(root, 'var', 'runtime')), ...env } }),
      ),
    );
  }
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
    variants.push(variant('wrapper-realistic-zip', 'wrapper layer on managed node (zip-like)', 'wrapper', 'zip', [...layerFiles, ...taskFiles(plain)], wrapperLaunch));
    // The cache is made under the very flavour it is used with: the managed bootstrap's V8 flags
    // (--expose-gc) are part of the cache's tag. Node's portable mode keys entries by path
    // relative to the cache folder, so the copy on the device finds them.
    const bundled = join(WORK, 'function-bundled');
    await bundleFunction(plain, bundled);
    const packaged: [string, string, string][] = [
      ['wrapper-cache-realistic-zip', 'wrapper layer + packaged code cache (zip-like)', 'function-cache'],
      ['wrapper-bundled-realistic-zip', 'wrapper layer, function bundled (esbuild) (zip-like)', ''],
      ['wrapper-bundled-cache-realistic-zip', 'wrapper layer, function bundled + packaged code cache (zip-like)', 'function-bundled-cache'],
    ];
    for (const [id, label, cacheDir] of packaged) {
      const source = id.includes('bundled') ? bundled : plain;
      if (cacheDir === '') {
        variants.push(variant(id, label, 'wrapper', 'zip', [...layerFiles, ...taskFiles(source)], wrapperLaunch));
        continue;
      }
      const dir = join(WORK, cacheDir);
      if (source === plain) copyFunction(dir);
      else await bundleFunction(plain, dir);
      options.log(`lambda-like: packaging a compile cache under the wrapper flavour for ${id} (build/compile-cache.ts) ...`);
      const report = await generateCompileCache({
        functionDir: dir,
        handler: HANDLER,
        bootstrap: MANAGED_BOOTSTRAP,
        env: { ...env, ...managedEnv(PINNED_NODE, ric, join(layer, 'lambda-bootstrap-wrapper')) },
        event: '{"packaging":true}',
      });
      if (report instanceof CompileCacheError) unavailable.push(`realistic function, ${label}: ${report.message.split('\n')[0]}`);
      else variants.push(variant(id, label, 'wrapper', 'zip', [...layerFiles, ...taskFiles(dir)], wrapperLaunch));
    }
  }
  return {
    variants: variants.map(realistic),
    unavailable,
    counts: () => ({ ...fake.counts }),
    checkSent: (before) => {
      if (fake.counts.s3Put !== before.s3Put + 1 || fake.counts.dynamoGet !== before.dynamoGet + 1) {
        throw new Error(`the first invoke did not send PutObject + GetItem to the fake endpoint (counts ${JSON.stringify(fake.counts)})`);
      }
    },
    close: () => fake.close(),
  };
}
