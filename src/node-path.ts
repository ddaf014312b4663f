// The managed runtime's NODE_PATH. AWS's nodejs24.x (nodejs26.x) bootstrap script exports it before starting
// node when the function leaves it empty; a single executable has no such script, so the runtime
// sets it itself and makes CommonJS resolution read it again (Node reads NODE_PATH only once,
// when it starts).

import Module from 'node:module';

/**
 * nodejs<major>.x's NODE_PATH: its layer folder /opt/nodejs/node<major>/node_modules first.
 * Source: AWS Lambda docs, "Layer paths for each Lambda runtime" (Node.js); contract §1.
 */
export function managedNodePath(major: string): string {
  return `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`;
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
 * When NODE_PATH is unset or empty (the bootstrap script's `[ -z "$NODE_PATH" ]`), sets it to the
 * managed default and re-reads the global module paths (`Module._initPaths`, what Node runs at
 * start-up), so `require` in the handler, in its dependencies and in preloads searches the layer
 * folders. A NODE_PATH the function sets is left as it is. Returns the value now in effect.
 */
export function applyManagedNodePath(env: NodeJS.ProcessEnv): string {
  const own = env.NODE_PATH;
  if (own !== undefined && own !== '') return own;
  const value = env[DEFAULT_NODE_PATH_OVERRIDE] || managedNodePath(runningNodeMajor());
  delete env[DEFAULT_NODE_PATH_OVERRIDE];
  env.NODE_PATH = value;
  (Module as unknown as { _initPaths(): void })._initPaths();
  return value;
}
