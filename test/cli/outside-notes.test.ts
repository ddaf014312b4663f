// The note invoke/serve/watch print when the function loads packages from outside its folder
// (cli/src/outside-warning.ts): one readable line, with the folders they come from and the first
// names, not every one of an AWS SDK client's ~25 packages. Real folders, the real import scan.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localNotes } from '../../cli/src/outside-warning.ts';

const work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-outside-notes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('localNotes', () => {
  it('names the folders the outside packages come from and the first six, then how many more', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const name of names) {
      const dir = join(work, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
      writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
    }
    const fn = join(work, 'fn');
    mkdirSync(fn);
    writeFileSync(join(fn, 'index.mjs'), `${names.map((n) => `import ${n} from '${n}';`).join('\n')}\nexport const handler = async () => [${names.join(', ')}];\n`);
    expect(await localNotes(fn, 'index.handler', 'x86_64')).toEqual([
      `note: the function loads 8 package(s) from outside ${fn} (from ${join(work, 'node_modules')}): a, b, c, d, e, f, and 2 more; on Lambda only the zip exists: \`lambda-bootstrap package\` copies them in`,
    ]);
  });
});
