// What build/snapshot/snapshot-recorder.ts saw the function's dependencies do while they evaluated, and
// which of it refuses a snapshot build (docs/pre-initialised.md, "What is refused").
import type { InitRecord } from './snapshot-init.ts';

/** One load-time side effect, at `line` of the dependency bundle (undefined: not from a line). */
export interface Finding {
  kind: 'env' | 'clock' | 'random' | 'host' | 'file' | 'handle' | 'global';
  detail: string;
  line: number | undefined;
}

export interface RecorderReport {
  findings: Finding[];
  /** The dependencies threw while evaluating (stack). */
  failure: string | undefined;
  /** Registry keys the bundle filled. */
  modules: string[];
  /** Variables the dependencies read before writing them: the snapshot's environment guard. */
  envRead: string[];
  /** Variables the dependencies set (or deleted: null), as they were after evaluation. */
  envWritten: Record<string, string | null>;
  /** With init at build: what the handler's init did (build/snapshot/snapshot-init.ts); undefined otherwise. */
  init?: InitRecord | undefined;
}

/** The package a bundle line belongs to: esbuild writes `// node_modules/<pkg>/<file>` above each module. */
export function packageAt(bundle: string, line: number | undefined): string {
  if (line === undefined) return 'the dependencies';
  const lines = bundle.split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^\/\/ (.*node_modules\/((?:@[^/]+\/)?[^/]+)\/.*)$/.exec(lines[i]!);
    if (m) return m[2]!;
    if (/^\/\/ \S/.test(lines[i]!) && !lines[i]!.includes('node_modules/')) return `(${lines[i]!.slice(3)})`;
  }
  return '(the bundle preamble)';
}

/**
 * Allowed because the value cannot differ between the build and a sandbox in a way the library
 * acts on: none so far. Every entry needs its reason in docs/pre-initialised.md.
 */
export const ALLOWED: readonly { kind: Finding['kind']; detail: string; reason: string }[] = [
  {
    kind: 'global',
    detail: 'awslambda',
    // @aws/lambda-invoke-store does `globalThis.awslambda ||= {}` unless
    // AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA is set (a guarded read); the runtime adds its members
    // to the object it finds (src/aws-lambda-global.ts), as it does under dist/bootstrap.
    reason: 'an empty object the runtime fills at start, guarded by AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA',
  },
];

const WHAT: Record<Finding['kind'], string> = {
  env: 'reads the environment while loading',
  clock: 'reads the clock while loading',
  random: 'draws random values while loading',
  host: 'reads the host while loading',
  file: 'reads files while loading',
  handle: 'leave a timer or socket open after loading',
  global: 'create globals while loading',
};

/** The build's refusal message, or undefined when nothing would be frozen. */
export function refusal(report: RecorderReport, bundle: string): string | undefined {
  const bad = report.findings.filter((f) => !ALLOWED.some((a) => a.kind === f.kind && a.detail === f.detail));
  if (bad.length === 0) return undefined;
  const byPackage = new Map<string, Map<Finding['kind'], Set<string>>>();
  for (const f of bad) {
    const pkg = packageAt(bundle, f.line);
    const kinds = byPackage.get(pkg) ?? new Map<Finding['kind'], Set<string>>();
    byPackage.set(pkg, kinds);
    const details = kinds.get(f.kind) ?? new Set<string>();
    kinds.set(f.kind, details);
    details.add(f.detail);
  }
  const lines = ['snapshot: refused: the dependencies compute values at load time that the snapshot would freeze into every sandbox:'];
  for (const [pkg, kinds] of byPackage) {
    for (const [kind, details] of kinds) lines.push(`  ${pkg} ${WHAT[kind]}: ${[...details].slice(0, 6).join(', ')}${details.size > 6 ? ', …' : ''}`);
  }
  lines.push(
    'A snapshot is evaluated once, on the build machine: those values would be the build\'s, the same in every cold start.',
    'Ship the function without --snapshot (dist/bootstrap, with `make package` or `lambda-bootstrap package --compile-cache` for its code cache), or move that work out of module load time in your own code.',
  );
  return lines.join('\n');
}
