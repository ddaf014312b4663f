// Which environment values a snapshot executable (build/snapshot/snapshot.ts) may carry. The executable is
// the function's `bootstrap`: anyone with lambda:GetFunction, the deployment bucket or the CI
// artefacts can read it, while Lambda keeps environment variables apart (encrypted at rest,
// access-controlled on their own). So: the environment guard keeps salted digests, never values
// (src/pre-init/snapshot-modules.ts); AWS credentials are never built in; a value the dependencies read at
// load, whose name looks secret, is refused unless the build names it in `allowValues`; and the
// build says which variables' values are baked into the heap.
import { randomBytes } from 'node:crypto';
import { envDigest } from '../../src/pre-init/snapshot-modules.ts';
import type { SnapshotEnvironment } from '../../src/pre-init/snapshot-modules.ts';

/**
 * The variables Lambda fills with the execution role's temporary credentials in every sandbox
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
 * they rotate, and belong to the sandbox, never to the code.
 */
export const AWS_CREDENTIAL_VARIABLES: readonly string[] = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN'];

/** Name parts that mark a value as secret (matched case-insensitively anywhere in the name). */
export const SECRET_NAME_PARTS: readonly string[] = ['KEY', 'SECRET', 'TOKEN', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'CREDENTIAL', 'PRIVATE', 'AUTH', 'SIGNATURE', 'COOKIE'];

export function looksSecret(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_NAME_PARTS.some((part) => upper.includes(part));
}

/** The refusal for an AWS credential passed to the build, or undefined. */
export function credentialRefusal(env: Readonly<Record<string, string>>): string | undefined {
  const given = AWS_CREDENTIAL_VARIABLES.filter((name) => env[name] !== undefined);
  if (given.length === 0) return undefined;
  return (
    `snapshot: refused: --env ${given.join(', ')}: AWS credentials are never built into an executable. Lambda sets the execution role's ` +
    "credentials in each sandbox, and they rotate; the SDK reads them when it calls AWS, which is after the snapshot's load."
  );
}

export interface EnvironmentPlan {
  /** The guard that ships: digests of what was read, the writes to replay. */
  environment: SnapshotEnvironment;
  /** Variables read at load with a value: their values shape the heap (sorted). */
  bakedIn: string[];
  /** Variables read at load while unset: the guard only checks they stay unset. */
  unset: string[];
  /** Secret-looking names baked in because the build allowed them. */
  allowedSecrets: string[];
}

/**
 * The guard for what the dependencies read (`read`, with the build's values in `env`) and wrote
 * (`written`), or the refusal when a secret-looking value would be baked in without being allowed
 * (`allowValues`). The message names variables, never values.
 */
export function planEnvironment(read: readonly string[], written: Readonly<Record<string, string | null>>, env: Readonly<Record<string, string>>, allowValues: readonly string[]): EnvironmentPlan | string {
  const allowed = new Set(allowValues);
  const bakedIn = read.filter((name) => env[name] !== undefined).sort();
  const unset = read.filter((name) => env[name] === undefined).sort();
  const writtenSet = Object.keys(written).filter((name) => written[name] !== null);
  // AWS credentials cannot be allowed: they are the sandbox's.
  const refused = (name: string): boolean => AWS_CREDENTIAL_VARIABLES.includes(name) || (looksSecret(name) && !allowed.has(name));
  const refusedReads = bakedIn.filter(refused);
  const refusedWrites = writtenSet.filter(refused);
  if (refusedReads.length > 0 || refusedWrites.length > 0) {
    const lines = ['snapshot: refused: a value whose name looks secret would be built into the executable, which anyone who can download the function\'s code can read:'];
    if (refusedReads.length > 0) lines.push(`  the dependencies read ${refusedReads.join(', ')} while loading, so what they computed from it (a client's credentials, a header) is in the startup snapshot's heap`);
    if (refusedWrites.length > 0) lines.push(`  the dependencies set ${refusedWrites.join(', ')} while loading, and the executable would set it again at every start`);
    const names = [...new Set([...refusedReads, ...refusedWrites])];
    lines.push(
      'Read it in your handler (at its top level or per invocation) instead of in a dependency at load, ship without --snapshot, ' +
        `or accept that it ships with ${names.map((name) => `--allow-env-value ${name}`).join(' ')}.`,
    );
    return lines.join('\n');
  }
  const salt = randomBytes(16).toString('hex');
  const reads = Object.fromEntries(read.map((name) => [name, env[name] === undefined ? null : envDigest(salt, name, env[name]!)]));
  return {
    environment: { salt, reads, writes: { ...written } },
    bakedIn,
    unset,
    allowedSecrets: [...new Set([...bakedIn, ...writtenSet])].filter(looksSecret).sort(),
  };
}
