// SnapStart for a container image (issue 19, part 6). Lambda publishes a SnapStart version of an
// image function only if the image's runtime runs the restore lifecycle (GET /runtime/restore/next
// at the end of init, hooks around it) or the image carries
// LABEL com.amazonaws.lambda.feature.snapstart="Allow" (AWS docs, "Implementing SnapStart hooks for
// container images"). The Dockerfile's image needs no label: dist/bootstrap runs the lifecycle.
// Proven here in the image's layout: the base image's entrypoint (a stand-in) starts
// /var/runtime/bootstrap with the CMD as _HANDLER, the function in /var/task, and the emulator in
// its SnapStart mode (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start set by it, not by the test).
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import { REPO_ROOT, describeOutcome, fixturePath, tempDir } from './harness.ts';

const emulators: Emulator[] = [];
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

const ENTRYPOINT = join(fixturePath('container-image'), 'lambda-entrypoint.sh');

/** The Dockerfile's image, as a directory: /var/runtime/bootstrap and the function in /var/task. */
function stageImage(): string {
  const root = tempDir('snapstart-image');
  mkdirSync(join(root, 'var', 'runtime'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'dist', 'bootstrap'), join(root, 'var', 'runtime', 'bootstrap'));
  cpSync(fixturePath('snapstart'), join(root, 'var', 'task'), { recursive: true });
  return root;
}

function paths(emulator: Emulator): string[] {
  return emulator.requests.map((r) => `${r.method} ${r.path.replace(/invocation\/[^/]+\//, 'invocation/<id>/')}`);
}

describe('SnapStart in the container image (dist/bootstrap at /var/runtime/bootstrap)', () => {
  test('publishing runs init, the before-snapshot hooks and restore/next; every invocation then runs on the restored state', async () => {
    const root = stageImage();
    const emulator = await Emulator.start({
      command: ENTRYPOINT,
      args: ['index.handler'],
      handler: 'index.handler',
      taskRoot: join(root, 'var', 'task'),
      env: { LAMBDA_TEST_IMAGE_ROOT: root, LAMBDA_RUNTIME_DIR: join(root, 'var', 'runtime') },
      snapStart: true,
    });
    emulators.push(emulator);
    const first = await emulator.invoke('{}');
    expect(first.kind, describeOutcome(first, emulator)).toBe('response');
    const answer = first.json() as { events: string[]; replaced: Record<string, boolean> };
    expect(answer.events).toEqual(['before-2', 'before-1', 'after-1 random=true', 'after-2']);
    expect(answer.replaced).toEqual({ random: true, randomUUID: true, randomUUIDNamed: true });
    const second = await emulator.invoke('{}');
    expect(second.kind, describeOutcome(second, emulator)).toBe('response');
    // The lifecycle Lambda requires of the image's runtime: restore/next once, before any /next.
    expect(paths(emulator).slice(0, 5)).toEqual([
      'GET /2018-06-01/runtime/restore/next',
      'GET /2018-06-01/runtime/invocation/next',
      'POST /2018-06-01/runtime/invocation/<id>/response',
      'GET /2018-06-01/runtime/invocation/next',
      'POST /2018-06-01/runtime/invocation/<id>/response',
    ]);
    expect(paths(emulator).filter((p) => p.includes('/restore/'))).toHaveLength(1);
    expect(emulator.requests[0]!.status).toBe(200);
    expect(emulator.protocolViolations).toEqual([]);
  });

  test('the Dockerfile says what publishing a SnapStart version takes, and carries no "Allow" label it does not need', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('--snap-start ApplyOn=PublishedVersions');
    expect(dockerfile).toContain('com.amazonaws.lambda.feature.snapstart');
    expect(dockerfile).not.toMatch(/^\s*LABEL\s+com\.amazonaws\.lambda\.feature\.snapstart/m);
  });
});
