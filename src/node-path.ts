// The managed runtime's NODE_PATH. AWS's nodejs24.x bootstrap script exports it before starting
// node when the function leaves it empty; a single executable has no such script, so the runtime
// sets it itself and makes CommonJS resolution read it again (Node reads NODE_PATH only once,
// when it starts).

import Module from 'node:module';

/** Source: AWS Lambda docs, "Layer paths for each Lambda runtime" (Node.js); contract §1. */
export const MANAGED_NODE_PATH =
  '/opt/nodejs/node24/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task';

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
  const value = env[DEFAULT_NODE_PATH_OVERRIDE] || MANAGED_NODE_PATH;
  delete env[DEFAULT_NODE_PATH_OVERRIDE];
  env.NODE_PATH = value;
  (Module as unknown as { _initPaths(): void })._initPaths();
  return value;
}
