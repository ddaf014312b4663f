// The differential parity suite (issue 10 item 7): every case in cases.ts runs through the emulator
// under dist/bootstrap and under AWS's own client (aws-lambda-ric 4.0.2 on the same Node 24, with
// the managed nodejs24.x runtime's flags), one invocation at a time and with
// AWS_LAMBDA_MAX_CONCURRENCY; every observed facet must be identical, or fully explained by
// allow-list.ts. The closing summary line says how many functions × modes were compared.
// BOOTSTRAP_NODE=26 compares dist/node26/bootstrap with AWS's client on Node 26 (like for like);
// adding PARITY_RIC_NODE=24 keeps AWS's client on Node 24, and then node-line.ts first maps the
// facts of the Node line itself (runtimes.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../integration/harness.ts';
import { ALLOWED, FLAVOUR, judge } from './allow-list.ts';
import type { FacetDifference } from './allow-list.ts';
import { CASES, comparisonCount, functionNames, MODES, modesOf, W3C_TRACEPARENTS } from './cases.ts';
import { FakeAws } from './fake-aws.ts';
import { NODE_LINE_FACTS, normaliseNodeLine } from './node-line.ts';
import { createWorkspace, observe } from './observe.ts';
import type { Workspace } from './observe.ts';
import { CROSS_LINE, NODE_LINES_COMPARED } from './runtimes.ts';

const LINES = { ours: NODE_LINES_COMPARED.bootstrap, ric: NODE_LINES_COMPARED.ric };
const OURS_NAMED = FLAVOUR === 'wrapper' ? 'the wrapper layer' : LINES.ours.line === '24' ? 'dist/bootstrap' : `dist/node${LINES.ours.line}/bootstrap`;
const PAIR = `${OURS_NAMED} (Node ${LINES.ours.version}) vs aws-lambda-ric 4.0.2 on Node ${LINES.ric.version} (managed nodejs${LINES.ric.line}.x)`;

const CASE_TIMEOUT_MS = 180_000;

let workspace: Workspace;
let fake: FakeAws;
const tally = { identical: 0, allowed: 0, differing: 0, facets: 0 };
const usedAnchors = new Set<string>();
const usedLineFacts = new Set<string>();

beforeAll(async () => {
  workspace = createWorkspace(await closedPort());
  fake = await FakeAws.start();
});

afterAll(async () => {
  await fake?.stop();
  const comparisons = tally.identical + tally.allowed + tally.differing;
  console.log(
    `parity summary: ${functionNames().length} functions, ${CASES.length} cases in up to ${MODES.length} modes (${MODES.join(', ')}) = ` +
      `${comparisons} comparisons of ${PAIR} (${tally.facets} facets): ` +
      `${tally.identical} identical, ${tally.allowed} identical up to the allow-list${CROSS_LINE ? ' and the node-line normalisation' : ''}, ${tally.differing} with unexplained differences`,
  );
});

/** Lines only one side has, prefixed `bootstrap>` / `ric>`, keeping each side's order. */
function lineDiff(ours: string, ric: string): string {
  const ourLines = ours.split('\n');
  const ricLines = ric.split('\n');
  const onlyOurs = ourLines.filter((line) => !ricLines.includes(line)).map((line) => `  bootstrap> ${line}`);
  const onlyRic = ricLines.filter((line) => !ourLines.includes(line)).map((line) => `  ric>       ${line}`);
  const changed = [...onlyOurs, ...onlyRic];
  return changed.length > 0 ? changed.join('\n') : `  same lines, different order:\n  bootstrap> ${ourLines.join('\n  bootstrap> ')}\n  ric>       ${ricLines.join('\n  ric>       ')}`;
}

describe(`parity: ${PAIR}`, () => {
  for (const parityCase of CASES) {
    for (const mode of modesOf(parityCase)) {
      it(`${parityCase.name} [${mode}]`, { timeout: CASE_TIMEOUT_MS }, async () => {
        const ours = await observe(parityCase, 'bootstrap', mode, workspace, fake);
        if (parityCase.name === 'sdk-s3/w3c') {
          // What the allow-list accepts must hold: each real send() carried its invocation's own W3C context.
          const requests = (ours.observation.get('requests to AWS') ?? '').split('\n');
          expect(requests.filter((line) => line.includes(` w3c=${W3C_TRACEPARENTS[0]}|vendor=a|user=alice `)), requests.join('\n')).toHaveLength(1);
          expect(requests.filter((line) => line.includes(` w3c=${W3C_TRACEPARENTS[1]}|| `)), requests.join('\n')).toHaveLength(1);
          expect(requests.filter((line) => line.includes(' w3c=')), 'the third invocation has none').toHaveLength(2);
        }
        if (parityCase.function === 'datadog') {
          // Identical facets prove parity only if the agent really reported: one trace per
          // invocation, the first one cold, with the function's ARN and its request id.
          expect(ours.observation.get('Datadog cold starts'), ours.output.slice(-2_000)).toBe(`1 of ${parityCase.events.length} aws.lambda spans`);
          if (mode === 'sequential') expect(ours.observation.get('req-1 logs')).toMatch(/"cold_start":"true".*"function_arn":"arn:aws:lambda:us-east-1:123456789012:function:test-function".*"request_id":"req-1"/);
        }
        if (parityCase.function === 'newrelic' && mode === 'sequential') {
          // The agent really reported: one payload per invocation, the first one cold.
          const expected = parityCase.events.map((_, index) => `req-${index + 1} coldStart=${index === 0}`).join('\n');
          expect(ours.observation.get('New Relic cold starts'), ours.output.slice(-2_000)).toBe(expected);
        }
        if (parityCase.name === 'adot/esm') {
          // The ADOT set-up really took: spans with X-Ray time-based trace ids, the Lambda resource.
          expect(ours.observation.get('OpenTelemetry span count'), ours.output.slice(-2_000)).toBe(String(2 * parityCase.events.length));
          expect(ours.observation.get('OpenTelemetry spans')).toContain('X-Ray time-based id');
          expect(ours.observation.get('OpenTelemetry resource')).toContain('"cloud.platform":"aws_lambda"');
          // One cold start, in both modes (Managed Instances: the first event is sent alone).
          expect(ours.observation.get('OpenTelemetry cold starts')).toBe('1');
        }
        // AWS's client imports a .cjs handler and ADOT's loader registers no ESM hook for one: no
        // Lambda span, no flush before the invocation ends, nothing exported (docs/observability.md).
        if (parityCase.name === 'adot/cjs') expect(ours.observation.has('OpenTelemetry spans'), ours.output.slice(-2_000)).toBe(false);
        const ric = await observe(parityCase, 'ric', mode, workspace, fake);
        const facets = [...new Set([...ours.observation.keys(), ...ric.observation.keys()])].sort();
        const unexplained: string[] = [];
        let allowed = false;
        for (const facet of facets) {
          tally.facets++;
          // A facet only one side has is a log group with no records on the other.
          const observed = { ours: ours.observation.get(facet) ?? '', ric: ric.observation.get(facet) ?? '' };
          if (observed.ours === observed.ric) continue;
          const lined = CROSS_LINE ? normaliseNodeLine(facet, observed.ours, observed.ric, LINES) : { ...observed, used: [] };
          for (const name of lined.used) usedLineFacts.add(name);
          if (lined.used.length > 0) allowed = true;
          const difference: FacetDifference = { case: parityCase.name, mode, facet, ours: lined.ours, ric: lined.ric };
          if (difference.ours === difference.ric) continue;
          const verdict = judge(difference);
          for (const anchor of verdict.explainedBy) usedAnchors.add(anchor);
          if (verdict.accepted) allowed = true;
          else unexplained.push(`${facet}:\n${lineDiff(verdict.remaining.ours, verdict.remaining.ric)}`);
        }
        if (unexplained.length > 0) tally.differing++;
        else if (allowed) tally.allowed++;
        else tally.identical++;
        const outputs = `\n--- dist/bootstrap output ---\n${ours.output.slice(-3_000)}\n--- aws-lambda-ric output ---\n${ric.output.slice(-3_000)}`;
        expect(unexplained, `${parityCase.name} [${mode}] differs from the managed runtime:\n${unexplained.join('\n')}${outputs}`).toEqual([]);
      });
    }
  }

  it('every allow-list entry explains a difference this run observed', (context) => {
    const compared = tally.identical + tally.allowed + tally.differing;
    // Only meaningful when every case ran (not under a -t filter).
    if (compared < comparisonCount()) context.skip();
    // An entry whose difference shows only on some Node lines counts only when both runtimes run on one of them.
    const observable = ALLOWED.filter(
      (entry) =>
        (entry.observedOn === undefined || (entry.observedOn.includes(LINES.ours.line) && entry.observedOn.includes(LINES.ric.line))) &&
        (entry.flavour === undefined || entry.flavour === FLAVOUR),
    );
    const unused = [...new Set(observable.map((entry) => entry.anchor))].filter((anchor) => !usedAnchors.has(anchor));
    expect(unused, 'allow-list entries that no longer match any difference: remove them (and their docs/differences.md section if the difference is gone)').toEqual([]);
  });

  it('every node-line fact explains a difference this cross-line run observed', (context) => {
    const compared = tally.identical + tally.allowed + tally.differing;
    if (!CROSS_LINE || compared < comparisonCount()) context.skip();
    const unused = NODE_LINE_FACTS.map((fact) => fact.name).filter((name) => !usedLineFacts.has(name));
    expect(unused, 'node-line.ts facts that no longer match any difference: remove them').toEqual([]);
  });
});
