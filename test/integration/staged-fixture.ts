// A fixture copied to a fresh temporary folder, as a function sits in /var/task: no package.json
// of this repository above it (the repository's "type": "module" would decide the module type of
// typeless files), and `_node_modules/` folders (gitignored names) put in place as node_modules/.
import { cpSync, existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, tempDir } from './harness.ts';

/** Copies test/fixtures/<fixture> to <tmp>/task and returns that path. */
export function stagedFixture(fixture: string): string {
  const task = join(tempDir('staged'), 'task');
  cpSync(fixturePath(fixture), task, { recursive: true });
  renameNodeModules(task);
  return task;
}

function renameNodeModules(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (name === '_node_modules' && !existsSync(join(dir, 'node_modules'))) {
      renameSync(path, join(dir, 'node_modules'));
      renameNodeModules(join(dir, 'node_modules'));
    } else {
      renameNodeModules(path);
    }
  }
}
