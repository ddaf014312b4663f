// No Docker engine runs here: check what can be checked without one. Every COPY source must be
// a real path once `make` has run (builder paths under /src/ map to the repository).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, requireBinary } from './dist-binary.ts';

type Copy = { from: string | undefined; chmod: string | undefined; source: string; destination: string };

function parseDockerfile(text: string): { froms: string[]; args: string[]; copies: Copy[]; cmd: string | undefined } {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const copies: Copy[] = [];
  let cmd: string | undefined;
  const froms: string[] = [];
  const args: string[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    if (instruction === 'FROM') froms.push(rest.join(' '));
    if (instruction === 'ARG') args.push(rest.join(' '));
    if (instruction === 'CMD') cmd = rest.join(' ');
    if (instruction === 'COPY') {
      const flags = rest.filter((w) => w.startsWith('--'));
      const paths = rest.filter((w) => !w.startsWith('--'));
      expect(paths, `COPY with one source: ${line}`).toHaveLength(2);
      const flag = (name: string): string | undefined => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];
      copies.push({ from: flag('from'), chmod: flag('chmod'), source: paths[0]!, destination: paths[1]! });
    }
  }
  return { froms, args, copies, cmd };
}

describe('Dockerfile', () => {
  const { froms, args, copies, cmd } = parseDockerfile(readFileSync(resolve(repoRoot, 'Dockerfile'), 'utf8'));

  it('builds on Debian with the repo Makefile and ends on the Lambda base image (ARG BASE)', () => {
    expect(froms[0]).toMatch(/^node:\S*bookworm\S* AS build$/);
    expect(args).toContain('BASE=public.ecr.aws/lambda/provided:al2');
    expect(froms.at(-1)).toBe('${BASE}');
    expect(readFileSync(resolve(repoRoot, 'Dockerfile'), 'utf8')).toMatch(/^RUN make bootstrap$/m);
    expect(cmd).toBe('["index.handler"]');
  });

  it('copies the binary to /var/runtime/bootstrap (0755) and the example to /var/task', () => {
    expect(copies).toContainEqual({ from: 'build', chmod: '0755', source: '/src/dist/bootstrap', destination: '/var/runtime/bootstrap' });
    expect(copies).toContainEqual({ from: undefined, chmod: undefined, source: 'examples/hello/', destination: '/var/task/' });
  });

  it('every COPY source exists after make', () => {
    requireBinary();
    for (const copy of copies) {
      const local = copy.from === 'build' ? copy.source.replace(/^\/src\//, '') : copy.source;
      const path = resolve(repoRoot, local);
      expect(existsSync(path), `${copy.source} → ${path}`).toBe(true);
      if (local.endsWith('/')) expect(statSync(path).isDirectory()).toBe(true);
    }
    expect(statSync(resolve(repoRoot, 'dist/bootstrap')).mode & 0o777).toBe(0o755);
    const hello = resolve(repoRoot, 'examples/hello');
    expect(['index.mjs', 'index.js', 'index.cjs', 'index.ts'].some((f) => existsSync(resolve(hello, f))), 'examples/hello has an index module').toBe(true);
  });
});
