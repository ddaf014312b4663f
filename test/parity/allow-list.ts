// The ONE list of differences between dist/bootstrap and AWS's own client (aws-lambda-ric 4.0.2,
// as nodejs24.x runs it) that the parity suite accepts. Each entry names the section of
// docs/differences.md that documents it (test/parity/allow-list.test.ts checks both ways), says
// why, and says exactly which part of which observation it explains: `reconcile` removes that part
// from both sides, and a difference is accepted only if, after every applicable entry, nothing is
// left. Never list here a difference that is a bug.
import type { Mode } from './cases.ts';

export interface FacetDifference {
  case: string;
  mode: Mode;
  /** e.g. `req-2 outcome`, `outside invocations logs`, `requests to AWS`. */
  facet: string;
  ours: string;
  ric: string;
}

export interface AllowedDifference {
  /** Anchor (heading slug) in docs/differences.md. */
  anchor: string;
  reason: string;
  applies(difference: FacetDifference): boolean;
  /** Both sides with what this entry explains taken out (or rewritten to a common form). */
  reconcile(ours: string, ric: string): { ours: string; ric: string };
}

const withoutLines = (text: string, pattern: RegExp): string =>
  text
    .split('\n')
    .filter((line) => !pattern.test(line))
    .join('\n');

export const ALLOWED: readonly AllowedDifference[] = [
  {
    anchor: 'callback-handlers',
    reason:
      'nodejs24.x refuses three-parameter handlers at init (Runtime.CallbackHandlerDeprecated); we keep callback handlers for older code, ' +
      'so the whole run of a callback handler differs. Under Managed Instances both refuse them, with different messages.',
    applies: (d) => d.case.startsWith('callback/'),
    reconcile: () => ({ ours: '', ric: '' }),
  },
  {
    anchor: 'error-type-header',
    reason: "We send Lambda-Runtime-Function-Error-Type on /error as the Runtime API specifies; AWS's client omits it on invocation errors.",
    applies: (d) => d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({ ours: withoutLines(ours, /^header lambda-runtime-function-error-type: /), ric: withoutLines(ric, /^header lambda-runtime-function-error-type: /) }),
  },
  {
    anchor: 'esm-import-of-a-missing-package',
    reason:
      "An ESM import of a missing package is Runtime.ImportModuleError with String(error) for us (contract §2, as a missing require is in both); aws-lambda-ric 4.0.2 passes Node's ERR_MODULE_NOT_FOUND error through as errorType Error.",
    applies: (d) => d.case === 'layer/esm-import',
    reconcile: (ours, ric) => ({
      // Ours rewritten into the shape AWS's client gives the same error.
      ours: ours
        .replaceAll('Runtime.ImportModuleError: Error [ERR_MODULE_NOT_FOUND]: ', 'Error [ERR_MODULE_NOT_FOUND]: ')
        .replaceAll('"errorType":"Runtime.ImportModuleError","errorMessage":"Error [ERR_MODULE_NOT_FOUND]: ', '"errorType":"Error","errorMessage":"')
        .replaceAll('error type: Runtime.ImportModuleError', 'error type: Error')
        .replaceAll('recorded error type: Error', 'recorded error type: Runtime.Unknown'),
      ric: ric.replaceAll(',"code":"ERR_MODULE_NOT_FOUND"', ''),
    }),
  },
  {
    anchor: 'exit-after-an-init-error',
    reason: "After an init error AWS's client rethrows from its top-level promise, and Node prints its uncaught-rejection report to stderr; we log the one Init Error record.",
    applies: (d) => d.facet === 'outside invocations logs' && d.ric.includes('triggerUncaughtException'),
    reconcile: (ours, ric) => ({ ours, ric: withoutLines(ric, /^stderr RAW \[\] /) }),
  },
];

/**
 * Sections of docs/differences.md that describe a difference this suite cannot observe (it needs a
 * failure the suite does not cause, or a platform it does not run on), each with why. Together with
 * ALLOWED they must cover every section of the document.
 */
export const NOT_OBSERVED: readonly { anchor: string; why: string }[] = [];

export interface Verdict {
  accepted: boolean;
  /** Anchors of the entries that explained (part of) it. */
  explainedBy: string[];
  remaining: { ours: string; ric: string };
}

export function judge(difference: FacetDifference): Verdict {
  let { ours, ric } = difference;
  const explainedBy: string[] = [];
  for (const entry of ALLOWED) {
    if (!entry.applies(difference)) continue;
    const next = entry.reconcile(ours, ric);
    if (next.ours !== ours || next.ric !== ric) explainedBy.push(entry.anchor);
    ({ ours, ric } = next);
    if (ours === ric) break;
  }
  return { accepted: ours === ric, explainedBy, remaining: { ours, ric } };
}
