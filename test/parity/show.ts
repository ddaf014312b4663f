// Prints one parity case's normalised observation (and the start of the runtime's raw output) for
// one runtime and mode, to see what the suite compares:
//   node_modules/.bin/node test/parity/show.ts <case name> <bootstrap|ric> <sequential|concurrent>
// (Run the parity suite once first: its global setup installs the functions and builds the client.)
import { closedPort } from '../integration/harness.ts';
import { CASES, MODES } from './cases.ts';
import type { Mode } from './cases.ts';
import { FakeAws } from './fake-aws.ts';
import { createWorkspace, observe } from './observe.ts';
import { RUNTIME_IDS } from './runtimes.ts';
import type { RuntimeId } from './runtimes.ts';

const [name, runtime = 'bootstrap', mode = 'sequential'] = process.argv.slice(2);
const parityCase = CASES.find((c) => c.name === name);
if (parityCase === undefined || !RUNTIME_IDS.includes(runtime as RuntimeId) || !MODES.includes(mode as Mode)) {
  console.error(`usage: show.ts <case> <${RUNTIME_IDS.join('|')}> <${MODES.join('|')}>\ncases: ${CASES.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
const fake = await FakeAws.start();
try {
  const run = await observe(parityCase, runtime as RuntimeId, mode as Mode, createWorkspace(await closedPort()), fake);
  for (const [facet, content] of run.observation) console.log(`== ${facet}\n${content}`);
  console.log(`== raw output (first 4,000 characters)\n${run.output.slice(0, 4_000)}`);
} finally {
  await fake.stop();
}
