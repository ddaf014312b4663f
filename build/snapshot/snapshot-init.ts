// Init at build (docs/pre-initialised.md, "Init at build"): what the build decides from what
// build/snapshot/snapshot-recorder.ts saw the handler's init do (build/snapshot/snapshot-init-watch.ts). Refused:
// init that throws, a before-snapshot hook that fails, and anything init leaves open that a heap
// snapshot cannot hold (timers, sockets, servers, child processes, open files, signal listeners),
// each named with the place in the function's own code where it was made. Noted, not refused:
// clock, randomness, host and file reads at init, which SnapStart allows and the function's
// after-restore hooks must renew where they must differ per sandbox.
import { relative } from 'node:path';
import type { Finding } from './snapshot-findings.ts';
import { AWS_CREDENTIAL_VARIABLES } from './snapshot-env.ts';

/** A place in the function's source, from the bundle's source map (absolute file, 1-based line and column). */
export interface SourcePlace {
  file: string;
  line: number;
  column: number;
}

/** Something init left open when its before-snapshot hooks were done. */
export interface InitResource {
  kind: 'timer' | 'socket' | 'server' | 'child process' | 'file' | 'file watcher' | 'signal listener';
  /** Node's resource type (Timeout, TCPWRAP, PROCESSWRAP…), or the file's path. */
  detail: string;
  /** Where it was made, in the function's code (the innermost frame of the bundle), if known. */
  where: SourcePlace | undefined;
}

/** What the recorder reports about the handler's init (RecorderReport.init). */
export interface InitRecord {
  /** The init threw (its stack), so there is nothing to snapshot. */
  failure: string | undefined;
  /** A before-snapshot hook failed (Runtime.BeforeSnapshotError's message and stack). */
  beforeSnapshotFailure: string | undefined;
  beforeSnapshotHooks: number;
  afterRestoreHooks: number;
  resources: InitResource[];
  /** Clock, randomness, host, file and whole-environment reads made while init ran. */
  findings: (Finding & { where: SourcePlace | undefined })[];
}

/** What the build reports once init at build is accepted. */
export interface InitReport {
  beforeSnapshotHooks: number;
  afterRestoreHooks: number;
  /** Lines for the build's log: what init read that is now the same in every start. */
  notes: string[];
}

const WHAT: Partial<Record<Finding['kind'], string>> = {
  clock: 'reads the clock',
  random: 'draws random values',
  host: 'reads the host',
  file: 'reads a file',
  env: 'enumerates the environment',
};

function place(where: SourcePlace | undefined, functionDir: string): string {
  if (where === undefined) return 'an unknown place (no frame of the function\'s code on the stack)';
  const file = relative(functionDir, where.file);
  return `${file.startsWith('..') ? where.file : file}:${where.line}:${where.column}`;
}

/**
 * The refusal message, or the report to keep. `record` undefined means the recorder never reached
 * the handler (a bundle without it). Messages name files and lines, never values.
 */
export function initVerdict(record: InitRecord | undefined, functionDir: string, handlerFile: string): InitReport | string {
  if (record === undefined) return `snapshot: init at build: the recorder did not run ${handlerFile}'s init (internal error: the bundle has no handler)`;
  if (record.failure !== undefined) {
    return `snapshot: refused: init at build: ${handlerFile}'s init threw, so there is nothing to snapshot:\n${record.failure}\nIt ran with the --env values only and no AWS credentials: read what needs credentials or the network at the first invocation (or in an awslambda.registerAfterRestore hook), or build without --init-at-build.`;
  }
  if (record.beforeSnapshotFailure !== undefined) {
    return `snapshot: refused: init at build: a before-snapshot hook failed (Runtime.BeforeSnapshotError, as SnapStart would fail the publish):\n${record.beforeSnapshotFailure}`;
  }
  if (record.resources.length > 0) {
    const lines = [`snapshot: refused: init at build: ${handlerFile}'s init leaves open what a snapshot cannot hold (it would be dead in every sandbox, or keep the build waiting):`];
    for (const r of record.resources) lines.push(`  a ${r.kind} (${r.detail}) made at ${place(r.where, functionDir)}`);
    lines.push(
      'A snapshot holds the heap, not the process: no timer, socket, server, child process, open file or signal listener survives it.',
      'Close it in an awslambda.registerBeforeSnapshot hook and open it again in an awslambda.registerAfterRestore hook, open it at the first invocation instead, or build without --init-at-build.',
    );
    return lines.join('\n');
  }
  const notes = record.findings.map(
    (f) => `${place(f.where, functionDir)} ${WHAT[f.kind] ?? f.kind} at init (${f.detail}): every start sees the build's value; renew it in an awslambda.registerAfterRestore hook if it must differ per sandbox`,
  );
  return { beforeSnapshotHooks: record.beforeSnapshotHooks, afterRestoreHooks: record.afterRestoreHooks, notes: [...new Set(notes)] };
}

/** The refusal for import.meta in the handler's files: the snapshot's bundle is CommonJS, where it is empty. */
export function importMetaRefusal(uses: readonly string[]): string {
  return [
    'snapshot: refused: init at build: the handler\'s code uses import.meta, which has no value in the one CommonJS script a snapshot evaluates (and would name the build machine\'s files):',
    ...uses.map((u) => `  ${u}`),
    'Use process.env.LAMBDA_TASK_ROOT (the function\'s folder in every sandbox) instead, or build without --init-at-build.',
  ].join('\n');
}

/** The refusal for top-level await in the handler's module graph. */
export function topLevelAwaitRefusal(esbuildMessage: string): string {
  return [
    'snapshot: refused: init at build: the handler\'s module uses top-level await, which the one CommonJS script a snapshot evaluates cannot run:',
    `  ${esbuildMessage.split('\n').filter((l) => l.trim() !== '').slice(0, 4).join('\n  ')}`,
    'Start that work at the top level without awaiting it (keep the promise and await it in the handler), or build without --init-at-build.',
  ].join('\n');
}

/** A path that does not exist, for the SDK's shared config files while init runs at build. */
export const INIT_MISSING_FILE = '/nonexistent/lambda-bootstrap-init-at-build/aws-config';

/**
 * The variables init at build runs with besides the build's environment, so that the AWS SDK's
 * shared-config loading (started by a client's constructor) reads no file of the build machine:
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, unless `--env` gives them.
 */
export function initIsolation(env: Readonly<Record<string, string>>): Record<string, string> {
  const isolation: Record<string, string> = {};
  for (const name of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) if (env[name] === undefined) isolation[name] = INIT_MISSING_FILE;
  return isolation;
}

/**
 * The build's log lines about the environment init runs with: only `buildEnv` (the runtime's
 * AWS_EXECUTION_ENV and --env); the build machine's AWS credentials are never passed, and the
 * lines name the ones left out (names only).
 */
export function initEnvironmentNotes(buildEnv: Readonly<Record<string, string>>, machineEnv: NodeJS.ProcessEnv, isolated: readonly string[] = []): string[] {
  const given = Object.keys(buildEnv).filter((name) => name !== 'AWS_EXECUTION_ENV').sort();
  const lines = [`snapshot: init at build: the handler's init runs at build with ${given.length === 0 ? 'no --env variables' : given.join(', ')} (and AWS_EXECUTION_ENV), without AWS credentials: the SDK reads the sandbox's at its first call`];
  if (isolated.length > 0) lines.push(`snapshot: init at build: ${isolated.join(' and ')} point at a path that does not exist while init runs: nothing of this machine's ~/.aws is read`);
  const stripped = AWS_CREDENTIAL_VARIABLES.filter((name) => machineEnv[name] !== undefined);
  if (stripped.length > 0) lines.push(`snapshot: init at build: not passed to init: ${stripped.join(', ')} (this machine's AWS credentials are never built into an executable)`);
  return lines;
}
