// The ONE list of differences between dist/bootstrap and AWS's own client (aws-lambda-ric 4.0.2,
// as nodejs24.x runs it) that the parity suite accepts. Each entry names the section of
// docs/differences.md that documents it (test/parity/allow-list.test.ts checks both ways), says
// why, and says exactly which part of which observation it explains: `reconcile` removes that part
// from both sides, and a difference is accepted only if, after every applicable entry, nothing is
// left. Never list here a difference that is a bug.
import type { NodeLine } from '../../build/node-lines.ts';
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
  /**
   * The Node lines on which this difference can show at all, for both runtimes (default: every
   * line): a run on another line does not count the entry as unused.
   */
  observedOn?: readonly NodeLine[];
  /** The flavour whose runs show this difference at all (default: both). In the other, `applies`
   * is false and a run does not count the entry as unused. */
  flavour?: Flavour;
}

export type Flavour = 'binary' | 'wrapper';
/** The flavour this run compares with AWS's client: BOOTSTRAP_TARGET=wrapper runs the wrapper layer. */
export const FLAVOUR: Flavour = process.env.BOOTSTRAP_TARGET === 'wrapper' ? 'wrapper' : 'binary';

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
    anchor: 'callback-handlers',
    reason: 'The context keeps callbackWaitsForEmptyEventLoop (true) for callback handlers; nodejs24.x, which has none, dropped the property.',
    applies: (d) => d.case === 'edge/context' && d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({ ours: ours.replaceAll('"callbackWaitsForEmptyEventLoop":true,', ''), ric }),
  },
  {
    anchor: 'error-type-header',
    reason: "We send Lambda-Runtime-Function-Error-Type on /error as the Runtime API specifies; AWS's client omits it on invocation errors.",
    applies: (d) => d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({ ours: withoutLines(ours, /^header lambda-runtime-function-error-type: /), ric: withoutLines(ric, /^header lambda-runtime-function-error-type: /) }),
  },
  {
    anchor: 'esm-module-not-found',
    reason:
      "An ESM import of a missing package is Runtime.ImportModuleError with String(error) for us (contract §2, as a missing require is in both); aws-lambda-ric 4.0.2 passes Node's ERR_MODULE_NOT_FOUND error through as errorType Error.",
    applies: (d) => d.case === 'layer/esm-import',
    reconcile: (ours, ric) => ({
      // Ours rewritten into the shape AWS's client gives the same error.
      ours: ours
        .replaceAll('Runtime.ImportModuleError: Error [ERR_MODULE_NOT_FOUND]: ', 'Error [ERR_MODULE_NOT_FOUND]: ')
        .replaceAll('"errorType":"Runtime.ImportModuleError","errorMessage":"Error [ERR_MODULE_NOT_FOUND]: ', '"errorType":"Error","errorMessage":"')
        // JSON records name the error's class: ours wraps it (LambdaError), theirs is Node's Error.
        .replaceAll('"errorType":"LambdaError","errorMessage":"Error [ERR_MODULE_NOT_FOUND]: ', '"errorType":"Error","errorMessage":"')
        .replaceAll('recorded error type: Runtime.ImportModuleError', 'recorded error type: Runtime.Unknown')
        .replaceAll('error type: Runtime.ImportModuleError', 'error type: Error'),
      ric: ric.replaceAll(',"code":"ERR_MODULE_NOT_FOUND"', ''),
    }),
  },
  {
    anchor: 'request-id-outside-invocations',
    reason:
      "Outside an invocation we write request id `undefined` in TEXT and no requestId in JSON (contract §8, nodejs22.x); AWS's client 4.x writes InvokeStore.getRequestId()'s `-`.",
    applies: (d) => d.facet === 'outside invocations logs',
    reconcile: (ours, ric) => ({
      ours: ours.replaceAll(' [undefined] ', ' [] ').replaceAll('\tundefined\t', '\t\t'),
      ric: ric.replaceAll(' [-] ', ' [] ').replaceAll('"requestId":"-",', '').replaceAll('\t-\t', '\t\t'),
    }),
  },
  {
    anchor: 'init-error-exit',
    reason: "After an init error AWS's client rethrows from its top-level promise, and Node prints its uncaught-rejection report to stderr; we log the one Init Error record.",
    applies: (d) => d.facet === 'outside invocations logs' && d.ric.includes('triggerUncaughtException'),
    reconcile: (ours, ric) => ({ ours, ric: withoutLines(ric, /^stderr RAW \[\] /) }),
  },
  {
    anchor: 'typescript',
    reason: 'We load .ts/.mts/.cts handler files (Node type stripping); the managed runtime does not look for them and fails init with Runtime.ImportModuleError.',
    applies: (d) => d.case === 'edge/typescript',
    reconcile: () => ({ ours: '', ric: '' }),
  },
  {
    anchor: 'result-too-large',
    reason: "Both end the invocation as Function.ResponseSizeTooLarge (the Runtime API's 413); we log one ERROR record naming the size and the limit.",
    applies: (d) => d.case === 'edge/result-too-large' && d.facet.endsWith(' logs'),
    reconcile: (ours, ric) => ({ ours: withoutLines(ours, /ERROR \[req-\d+\] .*Response payload size \(\d+ bytes\) exceeded maximum allowed payload size/), ric }),
  },
  {
    anchor: 'raw-client-lines',
    reason: "AWS's native client prints its own raw line (no request id, no log format) when the Runtime API refuses a result with 413.",
    applies: (d) => d.facet.endsWith(' logs') && d.ric.includes('LAMBDA_RUNTIME Failed to post handler success response'),
    reconcile: (ours, ric) => ({ ours, ric: withoutLines(ric, /RAW \[\] \[ERROR\] \[\d+\] LAMBDA_RUNTIME Failed to post handler success response\. Http response code: 413\./) }),
  },
  {
    anchor: 'malformed-event',
    reason: "We answer an event that is not JSON with Runtime.MalformedEvent and keep serving; AWS's client throws a SyntaxError out of its loop and the process exits (Runtime.ExitError).",
    // The process dies with every invocation it holds: under Managed Instances, the concurrent ones too.
    applies: (d) => d.case === 'edge/event-not-json' && (d.mode === 'concurrent' || d.facet.startsWith('req-2 ') || d.facet === 'outside invocations logs'),
    reconcile: () => ({ ours: '', ric: '' }),
  },
  {
    anchor: 'context-environment',
    reason: 'We read the context variables once at start-up; AWS\'s client reads process.env on every invoke, so a handler that changes AWS_LAMBDA_FUNCTION_NAME sees the change in the next context.',
    applies: (d) => d.case === 'edge/context' && d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({ ours, ric: ric.replaceAll('"functionName":"renamed-by-the-handler"', '"functionName":"test-function"') }),
  },
  {
    anchor: 'legacy-completion',
    reason: 'We keep context.succeed/done/fail with nodejs22.x completion rules; nodejs24.x has no such methods, so a handler finishing through them fails there.',
    applies: (d) => d.case === 'edge/legacy-completion',
    reconcile: () => ({ ours: '', ric: '' }),
  },
  {
    anchor: 'node-flags',
    reason: "The binary's node flags are fixed at build time: no --expose-gc (globalThis.gc undefined) and node's default header size, where the managed runtime passes --expose-gc and --max-http-header-size 81920.",
    // The wrapper runs on the managed node, with its flags.
    flavour: 'binary',
    applies: (d) => FLAVOUR === 'binary' && d.case === 'edge/context' && d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({
      ours,
      ric: ric.replaceAll('"gc":"function"', '"gc":"undefined"').replaceAll('"maxHeaderSize":81920', `"maxHeaderSize":${/"maxHeaderSize":(\d+)/.exec(ours)?.[1] ?? '?'}`),
    }),
  },
  {
    anchor: 'invoke-store',
    reason: "Our InvokeStore is @aws/lambda-invoke-store 0.3.0, with the W3C getters current SDKs call; AWS's client 4.0.2 bundles an older store without them.",
    applies: (d) => d.case === 'edge/context' && d.facet.endsWith(' outcome'),
    reconcile: (ours, ric) => ({ ours: ours.replaceAll('"storeTraceparentGetter":"function"', '"storeTraceparentGetter":"undefined"'), ric }),
  },
  {
    anchor: 'w3c-trace-context',
    reason:
      "A client context's w3c becomes context.w3c() and the InvokeStore's traceparent/tracestate/baggage, as AWS's client source does " +
      '(context-builder.ts extractAndStripW3c); aws-lambda-ric 4.0.2, the published client, predates it, so only our SDK requests carry them.',
    applies: (d) => d.case === 'sdk-s3/w3c' && d.facet === 'requests to AWS',
    reconcile: (ours, ric) => ({ ours: ours.replace(/ w3c=[^ ]*/g, ''), ric }),
  },
  {
    anchor: 'streaming-error-reporting',
    reason:
      "A streaming handler that fails before writing anything: we post the error to /error as a buffered one; AWS's client sends an empty streamed POST with the error in its trailers. The error recorded is the same.",
    applies: (d) => d.case.startsWith('streamlibs/') && d.facet.endsWith(' outcome') && d.ours.includes('\nbody: {"errorType"') && d.ric.includes('\nstreamed body: {"errorType"'),
    reconcile: (ours, ric) => {
      // Kind, error types and the error body, whichever way they travelled.
      const common = (text: string): string =>
        text
          .split('\n')
          .filter((line) => !line.startsWith('header ') && !line.startsWith('trailer '))
          .map((line) => line.replace(/^streamed body: /, 'body: '))
          .join('\n');
      return { ours: common(ours), ric: common(ric) };
    },
  },
  {
    anchor: 'node-options-preloads',
    reason:
      "A --require preload runs before any runtime code, so in the binary it sees no AWS_EXECUTION_ENV (Lambda sets none on provided.al2023; the runtime sets it after): Sentry's init from --require records no cloud.platform.",
    // The wrapper's preloads run after the managed runtime's bootstrap set AWS_EXECUTION_ENV.
    flavour: 'binary',
    applies: (d) => FLAVOUR === 'binary' && d.case === 'sentry/cjs' && d.facet === 'Sentry envelope items',
    // nodejs24.x's or nodejs26.x's name, whichever line AWS's client runs on.
    reconcile: (ours, ric) => ({ ours, ric: ric.replace(/"cloud\.platform":"AWS_Lambda_nodejs\d+\.x",/g, '') }),
  },
  {
    anchor: 'node-command-line',
    reason:
      "process.argv0 is the executable's name, `bootstrap` (the managed runtime's is /var/lang/bin/node), and Node's own warnings name it in their hint: " +
      "(Use `bootstrap --trace-deprecation ...`. Seen with Node 26's DEP0205 for module.register(), which both runtimes print.",
    // The wrapper runs on the managed node: its argv0 is node's.
    flavour: 'binary',
    // Log records, and Sentry's console breadcrumbs of them.
    applies: (d) => FLAVOUR === 'binary' && (d.facet.endsWith(' logs') || d.facet === 'Sentry envelope items') && d.ours.includes('(Use `bootstrap --trace-'),
    reconcile: (ours, ric) => ({ ours: ours.replace(/\(Use `bootstrap (--trace-(?:deprecation|warnings) \.\.\.`)/g, '(Use `node $1'), ric }),
    observedOn: ['26'],
  },
  {
    anchor: 'managed-instances-workers',
    reason:
      "Under Managed Instances a NODE_OPTIONS preload runs in the main thread too; what it writes there (here Node 26's DEP0205 warning) is one log record " +
      "for us, and raw stderr lines under AWS's client, which sets up its console only in the workers.",
    applies: (d) => d.mode === 'concurrent' && d.facet === 'outside invocations logs' && MAIN_THREAD_WARNING.test(d.ric),
    reconcile: (ours, ric) => mainThreadWarningsAsRecords(ours, ric),
    observedOn: ['26'],
  },
];

/** A Node process warning's first line as the facet holds raw stderr (pid already normalised). */
const MAIN_THREAD_WARNING = /^stderr RAW \[\] (\(node:<pid>\) \[[A-Z0-9]+\] .*)$/m;
const WARNING_HINT = /^stderr RAW \[\] (\(Use `[^`]+ --trace-(?:deprecation|warnings) \.\.\.` to show where the warning was created\))$/m;

/**
 * Each raw warning of AWS's client's main thread (its line and Node's hint line) taken out, with
 * the one record of ours whose message is that same warning. Anything else stays, so a record of
 * ours with no raw twin (or the other way round) is still a difference.
 */
function mainThreadWarningsAsRecords(ours: string, ric: string): { ours: string; ric: string } {
  let ourLines = ours.split('\n');
  let ricLines = ric.split('\n');
  for (;;) {
    const warning = ricLines.find((line) => MAIN_THREAD_WARNING.test(line));
    const hint = ricLines.find((line) => WARNING_HINT.test(line));
    if (warning === undefined || hint === undefined) break;
    const message = `${MAIN_THREAD_WARNING.exec(warning)?.[1] ?? ''}\n${WARNING_HINT.exec(hint)?.[1] ?? ''}`;
    const record = ourLines.findIndex((line) => recordMessage(line) === message);
    if (record === -1) break;
    ourLines = ourLines.filter((_, i) => i !== record);
    const taken = [ricLines.indexOf(warning), ricLines.indexOf(hint)];
    ricLines = ricLines.filter((_, i) => !taken.includes(i));
  }
  return { ours: ourLines.join('\n'), ric: ricLines.join('\n') };
}

/** The message of a JSON log record line (`stdout ERROR [] {...}`), or undefined. */
function recordMessage(line: string): string | undefined {
  const json = /^stdout ERROR \[\] (\{.*\})$/.exec(line)?.[1];
  if (json === undefined) return undefined;
  try {
    const record = JSON.parse(json) as { message?: unknown };
    return typeof record.message === 'string' ? record.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sections of docs/differences.md that describe a difference this suite cannot observe (it needs a
 * failure the suite does not cause, or a platform it does not run on), each with why. Together with
 * ALLOWED they must cover every section of the document.
 */
export const NOT_OBSERVED: readonly { anchor: string; why: string }[] = [
  {
    anchor: 'missing-environment',
    why: 'the emulator, like the service, always sets both variables; test/integration/startup.test.ts checks the message',
  },
  {
    anchor: 'aws-sdk-not-included',
    why: 'here neither runtime has /var/runtime/node_modules: every parity function ships its own SDK, as it must for bootstrap',
  },
  {
    anchor: 'node-path',
    why: 'both runtimes get the same explicit NODE_PATH (the managed default with /opt moved to a temporary directory); the one difference needs the literal /opt default',
  },
  {
    anchor: 'embedded-script-name',
    why: "observations drop every stack frame outside the function's own files, the runtime's frames on both sides",
  },
  {
    anchor: 'packaged-code-cache',
    why: 'no parity function ships .lambda-bootstrap/compile-cache/ (make package); the cache is meant never to change behaviour',
  },
  {
    anchor: 'snapshot-executable',
    why: 'the parity suite runs dist/bootstrap; the per-function snapshot executable has its own tests (test/integration/snapshot.test.ts)',
  },
  {
    anchor: 'snapstart',
    why: 'the suite runs on-demand initialisation only; AWS offers no SnapStart for the managed Node.js runtimes to compare with',
  },
  {
    anchor: 'malformed-next-answer',
    why: "the suite's Runtime API is the emulator, which answers /next well-formed; test/faults/next-headers.test.ts checks each malformed answer",
  },
  {
    anchor: 'streaming-high-water-mark',
    why: "no parity function passes highWaterMark; test/integration/streaming.test.ts checks the stream's writableHighWaterMark",
  },
  {
    anchor: 'node-26',
    why: "with BOOTSTRAP_NODE=26 AWS's client runs on Node 26 as nodejs26.x too, so the runtime named (NODE_PATH, AWS_EXECUTION_ENV) is the same on both sides; libatomic, the handler's import() path and the compile cache's folder show in no observation; BOOTSTRAP_NODE=26 runs of test/integration (managed-environment, wrapper, compile-cache, exec-path) and test/build/libatomic-compat.test.ts check them",
  },
  {
    anchor: 'snapshot-init-at-build',
    why: 'the parity suite runs dist/bootstrap and the wrapper, never a per-function snapshot executable built with --init-at-build; test/integration/snapshot-init.test.ts checks init at build, its hooks and its refusals',
  },
  {
    anchor: 'local-wrapper-flavour',
    why: "the parity suite starts the wrapper layer under the repository's managed-runtime stand-in, not through the npm tool's --flavour wrapper with its local /opt and /var/runtime; test/cli/installed-wrapper-flavour.test.ts checks what the tool's run shows the function",
  },
  {
    anchor: 'snapshot-environment-values',
    why: "the parity suite runs dist/bootstrap and the wrapper, never a per-function snapshot executable; test/integration/snapshot-secrets.test.ts checks the digests and refusals",
  },
  {
    anchor: 'package-contents',
    why: "a property of the zip lambda-bootstrap package writes, not of a runtime: both runtimes run the same function folder here; test/cli/package-files.test.ts checks what is left out",
  },
  {
    anchor: 'local-caller-guard',
    why: "a property of the local server's HTTP ways in (Host, Origin, Sec-Fetch-*), not of the runtime the parity suite compares; test/local/caller-guard.test.ts and browser-csrf.test.ts check it",
  },
  {
    anchor: 'local-event-queue',
    why: "needs more than 64 unfinished Event invokes against the local server, which no parity function sends; test/local/own-data.test.ts checks the 429",
  },
  {
    anchor: 'local-durable',
    why: "the durable-execution service is part of the local server, which the parity suite does not start; its own tests run the workflow under each runtime",
  },
  {
    anchor: 'local-tail-attribution',
    why: "LogType Tail is read through the local Invoke API, which the parity suite does not use (it observes the runtime's records directly); test/local/own-data.test.ts checks the attribution",
  },
  {
    anchor: 'local-framing',
    why: "the function URL front door is part of the local server, not of the runtime; test/local/front-door-framing.test.ts checks the framing byte by byte",
  },
  {
    anchor: 'tool-heap-size',
    why: "a property of how the npm tool starts the runtime locally (with or without a memory cgroup); the parity suite starts both runtimes itself with the same heap flags",
  },
  {
    anchor: 'tool-terminal-records',
    why: "how the npm tool prints records on a terminal; the parity suite reads the records the runtimes write, before any terminal rendering",
  },
  {
    anchor: 'tool-interrupted-invoke',
    why: "the npm tool's exit status when interrupted by a signal; no parity function is interrupted, and test/cli/tool-lifecycle.test.ts checks it",
  },
];

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
