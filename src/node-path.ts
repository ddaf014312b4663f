// The managed runtime's NODE_PATH. AWS's nodejs24.x (nodejs26.x) bootstrap script exports it before starting
// node when the function leaves it empty; a single executable has no such script, so the runtime
// sets it itself and makes CommonJS resolution read it again (Node reads NODE_PATH only once,
// when it starts).

import Module from 'node:module';

/**
 * nodejs<major>.x's NODE_PATH: its layer folder /opt/nodejs/node<major>/node_modules first.
 * Source: AWS Lambda docs, "Layer paths for each Lambda runtime" (Node.js); contract §1.
 */
export function managedNodePath(major: string, opt = '/opt'): string {
  return `${opt}/nodejs/node${major}/node_modules:${opt}/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`;
}

/** nodejs24.x's, what the default (Node 24) binary stands in for. */
export const MANAGED_NODE_PATH = managedNodePath('24');

/** The running Node's major version: the binary built from Node 26 stands in for nodejs26.x (issue 21). */
export function runningNodeMajor(): string {
  return process.versions.node.slice(0, process.versions.node.indexOf('.'));
}

/**
 * Test seam: replaces MANAGED_NODE_PATH as the default (tests cannot write to /opt). Lambda never
 * sets it; it does not apply when the function sets NODE_PATH.
 */
export const DEFAULT_NODE_PATH_OVERRIDE = '_LAMBDA_BOOTSTRAP_DEFAULT_NODE_PATH';

/**
 * Local runs only (`lambda-bootstrap invoke/serve/watch --layer`, cli/src/layers.ts): the folder
 * that stands in for /opt, the function's layers merged as Lambda extracts them there, so the
 * managed NODE_PATH names its nodejs/ folders instead of the machine's /opt. Lambda never sets it;
 * it is removed from the environment before the handler loads, and does not apply when the function
 * sets NODE_PATH (as on Lambda, where that replaces the default too).
 */
export const LOCAL_OPT_DIR = '_LAMBDA_BOOTSTRAP_OPT_DIR';

/**
 * When NODE_PATH is unset or empty (the bootstrap script's `[ -z "$NODE_PATH" ]`), sets it to the
 * managed default and re-reads the global module paths (`Module._initPaths`, what Node runs at
 * start-up), so `require` in the handler, in its dependencies and in preloads searches the layer
 * folders. A NODE_PATH the function sets is left as it is. Returns the value now in effect.
 */
export function applyManagedNodePath(env: NodeJS.ProcessEnv): string {
  const own = env.NODE_PATH;
  const opt = env[LOCAL_OPT_DIR] || '/opt';
  delete env[LOCAL_OPT_DIR];
  if (own !== undefined && own !== '') return own;
  const value = env[DEFAULT_NODE_PATH_OVERRIDE] || managedNodePath(runningNodeMajor(), opt);
  delete env[DEFAULT_NODE_PATH_OVERRIDE];
  env.NODE_PATH = value;
  (Module as unknown as { _initPaths(): void })._initPaths();
  return value;
}
