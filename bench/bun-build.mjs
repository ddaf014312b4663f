// Run by Bun (bench/setup.ts): `bun bench/bun-build.mjs <entry> <outfile>` compiles bootstrap.ts
// into one executable, as `bun build --compile` does, with one substitution: Bun has no
// `node:sea`, which bootstrap.ts imports for isSea() (it only gates NODE_OPTIONS --import
// preloads in Node's single executable; the bench function has none). The stub answers false.
// Plain JavaScript: Bun runs it, and the project's TypeScript has no `Bun` global.
const [entry, outfile] = process.argv.slice(2);
const nodeSeaStub = {
  name: 'node-sea-stub',
  setup(build) {
    build.onResolve({ filter: /^node:sea$/ }, () => ({ path: 'node:sea', namespace: 'node-sea-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'node-sea-stub' }, () => ({ contents: 'export const isSea = () => false;', loader: 'js' }));
  },
};
const result = await Bun.build({ entrypoints: [entry], compile: { outfile }, target: 'bun', plugins: [nodeSeaStub] });
if (!result.success) {
  for (const log of result.logs) console.error(String(log));
  process.exit(1);
}
