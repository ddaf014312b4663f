// The "node-line" normalisation: what differs between dist/node26/bootstrap and AWS's client on
// Node 24 only because the two run on different Node.js lines (issue 21). It applies only to that
// cross-line comparison (PARITY_RIC_NODE=24 with BOOTSTRAP_NODE=26, runtimes.ts CROSS_LINE); with
// both on the same line the suite compares like for like and this list is not used.
//
// Each fact maps one thing the Node line decides, in the exact form it is observed, from our
// side's line to AWS's client's, and says why: never a blanket ignore. Whatever else differs stays
// a difference, for allow-list.ts to explain or the suite to fail on. The like-for-like run
// (AWS's client on Node 26 as nodejs26.x) is what shows each of these is the line's, not ours.

/** One side's Node line: its major (`26`) and the exact version that line pins (`26.12.1`). */
export interface LineFacts {
  line: string;
  version: string;
}

export interface NodeLineFact {
  /** Short stable name, reported when the fact explained (part of) a difference. */
  name: string;
  reason: string;
  /** Whether the fact can apply to an observation (`req-1 logs`, `Sentry envelope items`, …). */
  applies(facet: string): boolean;
  /** Our side rewritten into what the same output is on AWS's client's line; AWS's side as it is. */
  map(ours: string, lines: { ours: LineFacts; ric: LineFacts }): string;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Node 26's warning for module.register() (DEP0205), as one TEXT or JSON log record line. */
const DEP0205_RECORD = /\(node:<pid>\) \[DEP0205\] DeprecationWarning: `module\.register\(\)` is deprecated\. Use `module\.registerHooks\(\)` instead\./;

export const NODE_LINE_FACTS: readonly NodeLineFact[] = [
  {
    name: 'managed-runtime-name',
    reason:
      'AWS_EXECUTION_ENV names the managed runtime of the Node line: the Node 26 binary stands in for nodejs26.x (src/execution-environment.ts), ' +
      "AWS's client on Node 24 is nodejs24.x. Libraries report it: Sentry's cloud.platform, the AWS SDK's user agent (exec-env/).",
    applies: () => true,
    map: (ours, lines) => ours.replaceAll(`AWS_Lambda_nodejs${lines.ours.line}.x`, `AWS_Lambda_nodejs${lines.ric.line}.x`),
  },
  {
    name: 'node-version',
    reason:
      "process.version is the Node the runtime runs on: Sentry's runtime context (v26.12.1) and the AWS SDK's user agent (md/nodejs#26.12.1) name it. " +
      'Only the exact pinned version is mapped.',
    applies: () => true,
    map: (ours, lines) => ours.replace(new RegExp(`(?<![\\d.])${escape(lines.ours.version)}(?![\\d.])`, 'g'), lines.ric.version),
  },
  {
    name: 'node-major',
    reason:
      "Agents report process.version's major in their own names: Datadog's runtime tag (runtime:nodejs26.x, datadog-lambda-js getRuntimeTag) and " +
      "New Relic's Supportability/Nodejs/Version/26 metric (newrelic recordNodeVersionMetric). Only these two forms are mapped.",
    applies: () => true,
    map: (ours, lines) =>
      ours
        .replace(new RegExp(`(?<![\\w.])runtime:nodejs${lines.ours.line}\\.x(?![\\w.])`, 'g'), `runtime:nodejs${lines.ric.line}.x`)
        .replace(new RegExp(`Supportability/Nodejs/Version/${lines.ours.line}(?!\\d)`, 'g'), `Supportability/Nodejs/Version/${lines.ric.line}`),
  },
  {
    name: 'dep0205-module-register',
    reason:
      "Node 26 deprecates module.register() (DEP0205), which the agents' ESM hooks (OpenTelemetry's, Sentry's) still call; Node itself prints the " +
      "warning once per thread, as it does outside Lambda and under AWS's client on Node 26 (the like-for-like run), and Node 24 does not. " +
      "Sentry keeps the console.error it went through as a breadcrumb of the next event.",
    applies: (facet) => facet.endsWith(' logs') || facet === 'Sentry envelope items',
    map: (ours, lines) => {
      if (!(Number(lines.ours.line) >= 26 && Number(lines.ric.line) < 26)) return ours;
      return ours
        .split('\n')
        .filter((line) => !(line.startsWith('std') && DEP0205_RECORD.test(line)))
        .map(withoutDep0205Breadcrumb)
        .join('\n');
    },
  },
];

/**
 * A Sentry item line (`event {…}`, sentry-events.ts) without the console breadcrumb of the DEP0205
 * warning; without `breadcrumbs` at all when that was its only one, as Sentry then sends none.
 */
function withoutDep0205Breadcrumb(line: string): string {
  const space = line.indexOf(' ');
  if (space === -1 || !line.includes('[DEP0205]')) return line;
  let payload: unknown;
  try {
    payload = JSON.parse(line.slice(space + 1));
  } catch {
    return line;
  }
  if (typeof payload !== 'object' || payload === null || !Array.isArray((payload as { breadcrumbs?: unknown }).breadcrumbs)) return line;
  const record = payload as Record<string, unknown> & { breadcrumbs: unknown[] };
  const kept = record.breadcrumbs.filter((crumb) => !(typeof crumb === 'string' && crumb.startsWith('console error: ') && DEP0205_RECORD.test(crumb)));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'breadcrumbs') out[key] = value;
    else if (kept.length > 0) out[key] = kept;
  }
  return `${line.slice(0, space)} ${JSON.stringify(out)}`;
}

export interface NodeLineVerdict {
  ours: string;
  ric: string;
  /** Names of the facts that changed our side. */
  used: string[];
}

/**
 * Applies every applicable fact to our side of one facet. Shapes: `ours`/`ric` are the facet's
 * normalised text (observe.ts); the result is the text to compare (and, if still different, to
 * judge against the allow-list).
 */
export function normaliseNodeLine(facet: string, ours: string, ric: string, lines: { ours: LineFacts; ric: LineFacts }): NodeLineVerdict {
  const used: string[] = [];
  let mapped = ours;
  for (const fact of NODE_LINE_FACTS) {
    if (!fact.applies(facet)) continue;
    const next = fact.map(mapped, lines);
    if (next !== mapped) used.push(fact.name);
    mapped = next;
  }
  return { ours: mapped, ric, used };
}
