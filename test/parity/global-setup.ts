// vitest globalSetup of the parity project: installs every parity function from its lock file, and
// AWS's runtime interface client (aws-lambda-ric 4.0.2, test/parity/ric) with its native client
// built the way bench/setup.ts builds it (npm 11 runs no install scripts). Each step runs once per
// checkout: a second run finds node_modules/.package-lock.json and rapid-client.node in place.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildRic } from '../../bench/setup.ts';
import { FUNCTIONS_DIR, PARITY_DIR, RIC_PACKAGE_DIR, RIC_ROOT } from './paths.ts';
import { RIC_NODE, RIC_NODE_LINE } from './runtimes.ts';

function npmCi(dir: string): void {
  if (existsSync(join(dir, 'node_modules', '.package-lock.json'))) return;
  try {
    // --ignore-scripts: what npm 11 does anyway, stated so that no npm runs a dependency's script.
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  } catch (error) {
    throw new Error(`parity setup: npm ci in ${dir} failed: ${String(error)}. It needs the npm registry; run it by hand to see why.`);
  }
}

export default function setup(): void {
  for (const name of readdirSync(FUNCTIONS_DIR)) {
    const dir = join(FUNCTIONS_DIR, name);
    if (existsSync(join(dir, 'package-lock.json'))) npmCi(dir);
  }
  npmCi(RIC_ROOT);
  const started = performance.now();
  const built = buildRic(true, (line) => console.log(`parity ${line}`), RIC_PACKAGE_DIR, join(PARITY_DIR, '.work'));
  if (!built.ok) throw new Error(`parity setup: aws-lambda-ric cannot run here: ${built.reason}`);
  // buildRic proved the addon loads on Node 24; it is a Node-API addon, so the same build serves
  // nodejs26.x's stand-in: prove that too before any comparison relies on it.
  if (RIC_NODE_LINE !== '24') {
    if (!existsSync(RIC_NODE)) throw new Error(`parity setup: ${RIC_NODE} not found: run \`make install-node26\` (AWS's client runs on Node ${RIC_NODE_LINE} here)`);
    const probe = spawnSync(RIC_NODE, ['-e', `require(${JSON.stringify(join(RIC_PACKAGE_DIR, 'rapid-client.node'))})`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
    });
    if (probe.status !== 0) throw new Error(`parity setup: aws-lambda-ric's rapid-client.node does not load in Node ${RIC_NODE_LINE}: ${probe.stderr}`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (seconds > 5) console.log(`parity setup: aws-lambda-ric's native client built in ${seconds.toFixed(0)} s`);
}
