// What makes a function zip self-contained, around package-function.ts's zip writing:
// before — the function's own files with links out of the folder copied in (outside-links.ts),
// its production dependency closure as real files (dependency-closure.ts) or the esbuild bundle
// (bundle-function.ts), the module type of a package.json above the folder, and the native
// addon check (native-addons.ts); after — the init run from the unpacked zip (verify-package.ts).
import { resolve } from 'node:path';
import { TARGETS, commandFor } from '../../../build/arch.ts';
import type { Architecture } from '../../../build/arch.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { ToolError, installPinnedNode } from '../build-binary.ts';
import { CODE_FILE, bundleHandler, handlerFile } from './bundle-function.ts';
import { dependencyClosure, shown, typeManifestEntry } from './dependency-closure.ts';
import { devOnlyPackages } from './dev-dependencies.ts';
import { scanImports } from './dependency-imports.ts';
import { addonRefusal, inspectAddons } from './native-addons.ts';
import type { TargetOs } from './native-addons.ts';
import { replaceOutsideLinks } from './outside-links.ts';
import { fileRules, leftOutLines } from './package-files.ts';
import type { FileRules, LeftOut } from './package-files.ts';
import { rebuildAddons } from './rebuild-addons.ts';
import { runInitFromZip, visibleAncestorModules } from './verify-package.ts';

export interface SelfContainedOptions {
  /** `_HANDLER` for the scan, the bundle and the init check. */
  handler: string;
  /** The function's environment for the init check. */
  env: Record<string, string>;
  /** --bundle: esbuild builds the handler. */
  bundle: boolean;
  /** --no-verify turns the init check off. */
  verify: boolean;
  /** --os: the OS the addons are checked against. */
  os: TargetOs;
  /** --rebuild: node-gyp addons compiled for Node 24 first. */
  rebuild: boolean;
}

/**
 * The zip entries for the function in `functionDir` (absolute): `own` (its files as
 * package-files.ts walked them) made self-contained, its top-level node_modules replaced by the
 * dependency closure. Errors: ToolError (a native addon that cannot load, a
 * handler that does not bundle).
 */
export interface SelfContained {
  entries: ZipEntry[];
  /** The init check of the written zip (bytes or path): undefined, or a warning for an init that
   * failed for another reason than a module; ToolError when a module does not load. */
  verify(zip: Buffer | string, flavour: 'binary' | 'wrapper'): Promise<string | undefined>;
}

export async function selfContainedEntries(
  functionDir: string,
  own: ZipEntry[],
  arch: Architecture,
  outDir: string,
  options: SelfContainedOptions,
  log: (line: string) => void,
  rules: FileRules = {},
): Promise<SelfContained> {
  const root = resolve(functionDir);
  if (options.rebuild) {
    const rebuilt = rebuildAddons(root, arch, outDir, log);
    if (rebuilt.length > 0) log(`package: rebuilt for Node 24 (${arch}): ${rebuilt.map((r) => r.name).join(', ')}`);
  }
  // The folder's own node_modules is replaced by the closure (its walk still listed what the
  // default rules leave out there, such as node_modules/.cache/).
  const ig = fileRules(root, rules);
  const links = replaceOutsideLinks(root, own.filter((e) => e.name !== 'node_modules' && !e.name.startsWith('node_modules/')), ig);
  for (const link of links.copied) log(`package: ${link} points outside ${root}: its files are copied into the zip`);
  if (links.leftOut.length > 0) {
    log(`package: left out ${links.leftOut.length} file(s) and folder(s) behind links out of the folder by the same rules (docs/packaging.md; --include <pattern> puts one back):`);
    for (const line of leftOutLines(links.leftOut)) log(line);
  }
  for (const link of links.dangling) log(`package: warning: left out the dangling link ${link}`);
  let files = links.entries;
  let closure;
  if (options.bundle) {
    const bundle = await bundleHandler(root, options.handler);
    files = [...files.filter((e) => !CODE_FILE.test(e.name)), ...bundle.entries];
    log(`package: --bundle: ${shown(bundle.entry, root)} built by esbuild into ${bundle.entries.map((e) => e.name).join(' and ')}${bundle.externals.length > 0 ? `; native addons shipped as packages: ${bundle.externals.map((e) => e.name).join(', ')}` : ''}`);
    closure = dependencyClosure(root, bundle.externals, true);
  } else {
    let imports: Awaited<ReturnType<typeof scanImports>> = [];
    try {
      imports = await scanImports(handlerFile(root, options.handler));
    } catch {
      // no handler module: the init check says so
    }
    closure = dependencyClosure(root, imports);
  }
  for (const p of closure.packages.filter((pkg) => pkg.outside)) {
    log(`package: ${p.name}: resolved from ${shown(p.source, root)} (outside ${root}): copied into the zip as ${p.zipDir}`);
  }
  // devDependencies are already named by package-function.ts's line; the rest are extraneous.
  const dev = new Set(devOnlyPackages(root)?.names ?? []);
  const extraneous = closure.leftOut.filter((name) => !dev.has(name));
  if (extraneous.length > 0) log(`package: left out of node_modules (not a production dependency of ${closure.manifest === undefined ? 'the handler' : shown(closure.manifest, root)}): ${extraneous.join(', ')}`);
  for (const m of closure.missing.filter((x) => !x.optional)) log(`package: warning: '${m.name}', wanted by ${shown(m.wantedBy, root)}, is not installed`);
  const type = files.some((e) => e.name === 'package.json') ? undefined : typeManifestEntry(root);
  if (type !== undefined) {
    files.push(type);
    log(`package: added package.json ${String(type.data).trim()} (the module type of ${shown(closure.manifest ?? '', root)}, which is outside the zip)`);
  }
  // The function's file rules (defaults, .lambdaignore, --exclude/--include; package-files.ts)
  // apply to the dependencies' files under their zip names too, as they did when node_modules was
  // walked in place: a linked workspace package is private code, and --include puts a file back.
  const leftOut: LeftOut[] = [];
  const dependencies = closure.entries.filter((entry) => {
    const verdict = ig.test(entry.name);
    if (verdict.ignored) leftOut.push({ name: entry.name, reason: verdict.rule?.mark ?? 'excluded' });
    return !verdict.ignored;
  });
  if (leftOut.length > 0) {
    log(`package: left out ${leftOut.length} file(s) of the dependencies by the same rules (docs/packaging.md; --include <pattern> puts one back):`);
    for (const line of leftOutLines(leftOut)) log(line);
  }
  const all = [...files, ...dependencies];
  const addons = inspectAddons(all, arch, options.os);
  for (const a of addons) log(`package: native addon ${a.name}: ${a.abi === 'napi' ? 'N-API' : a.abi === undefined ? 'no Node registration symbol (a plain shared library, or an addon of unknown ABI)' : `NODE_MODULE_VERSION ${a.abi}`}, ${a.machine}${Object.values(a.needs).length > 0 ? `, needs ${Object.values(a.needs).join(' ')}` : ''}`);
  const refusal = addonRefusal(addons, arch, options.os);
  if (refusal !== undefined) throw new ToolError(`package: ${refusal}`);
  const wantedBy = (name: string): string | undefined => {
    const m = closure.missing.find((x) => x.name === name);
    return m === undefined ? undefined : shown(m.wantedBy, root);
  };
  return { entries: all, verify: (zip, flavour) => verifyZip(zip, flavour, arch, outDir, options, log, wantedBy) };
}

/**
 * Runs the function's init from `zip` unpacked alone. Errors: ToolError when a module does not
 * load (the module, the file that wanted it, what to do); other init failures are returned as a
 * warning (init may need what only Lambda has), undefined when init succeeded.
 */
async function verifyZip(
  zip: Buffer | string,
  flavour: 'binary' | 'wrapper',
  arch: Architecture,
  outDir: string,
  options: SelfContainedOptions,
  log: (line: string) => void,
  wantedBy: (name: string) => string | undefined,
): Promise<string | undefined> {
  // A foreign architecture runs under qemu-user when it is installed; without it, no check.
  const runnable = flavour === 'wrapper' ? undefined : commandFor(TARGETS[arch], 'bootstrap');
  if (runnable instanceof Error) {
    log(`package: warning: the zip was not run (${runnable.message}); install that to have package check the function's init`);
    return undefined;
  }
  const visible = visibleAncestorModules();
  if (visible.length > 0) log(`package: note: ${visible.join(', ')} above the temporary folder can be seen by the unpacked function`);
  const node = flavour === 'wrapper' ? installPinnedNode('x86_64', outDir, log) : undefined;
  let outcome;
  try {
    outcome = await runInitFromZip({ zip, handler: options.handler, flavour, arch, env: options.env, wantedBy, ...(node === undefined ? {} : { node }) });
  } catch (error) {
    throw new ToolError(`package: could not run the function's init from the unpacked zip (${(error as Error).message}); --no-verify skips this check`);
  }
  if (outcome.ok) {
    log(`package: checked: the function's init (${options.handler}) succeeds from the zip unpacked alone`);
    return undefined;
  }
  if (outcome.failure.loadFailure) {
    throw new ToolError(`package: the function's init fails from the zip unpacked alone (as on Lambda): ${outcome.failure.message}\n(${outcome.errorType}: ${outcome.errorMessage.split('\n')[0]})`);
  }
  return `the function's init failed from the unpacked zip, not on a missing module (${outcome.failure.message.split('\n')[0]}): pass what init needs with --env, or --no-verify`;
}

