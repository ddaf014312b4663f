// Tiny ELF test programs, compiled with the system C compiler, that import the same symbols
// above glibc 2.26 as the official Node binary. They are linked without crt1.o (own _start),
// so they do not import __libc_start_main@GLIBC_2.34 and run on this machine as they are.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hasCompiler = spawnSync('cc', ['--version']).status === 0;

const START = `
void start_c(long *stack) { exit(run((int)stack[0], (char **)(stack + 1))); }
__asm__(".globl _start\\n_start:\\n  xor %rbp, %rbp\\n  mov %rsp, %rdi\\n  and $-16, %rsp\\n  call start_c\\n  hlt\\n");
`;

const HEADERS = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
extern int pkey_alloc(unsigned int, unsigned int) __attribute__((weak));
extern int pkey_free(int) __attribute__((weak));
extern int pkey_get(int) __attribute__((weak));
extern int pkey_set(int, unsigned int) __attribute__((weak));
extern int pkey_mprotect(void *, size_t, int, int) __attribute__((weak));
volatile float base = 2.0f, power = 3.0f, zero = 0.0f;
volatile double cube = 27.0;
`;

// cbrt@GLIBC_2.2.5 gives libm the base-version entry powf/expf get re-pointed at.
const NODE_LIKE = `${HEADERS}
static int run(int argc, char **argv) {
  int flags = fcntl(1, F_GETFD);
  printf("fcntl=%d powf=%g expf=%g cbrt=%g pkeys=%d\\n", flags >= 0, powf(base, power), expf(zero), cbrt(cube),
         pkey_alloc != 0 && pkey_free != 0 && pkey_get != 0 && pkey_set != 0 && pkey_mprotect != 0);
  if (argc > 1 && strcmp(argv[1], "memfd") == 0) printf("memfd=%d\\n", memfd_create("x", 0) >= 0);
  return 0;
}
${START}`;

export type Variant =
  | 'node-like' // every rule applies
  | 'no-libm-base' // powf/expf but nothing else from libm: no GLIBC_2.2.5 entry to re-point at
  | 'unknown-imports' // renameat2@GLIBC_2.28 and mlock2@GLIBC_2.27 have no rule
  | 'strong-weak-rule' // statx@GLIBC_2.28 and copy_file_range@GLIBC_2.27 as strong imports: their rule wants them weak (Node 26's are)
  | 'existing-fcntl' // imports fcntl and fcntl64: "fcntl" is already in .dynstr
  | 'shared-tail' // exports ntl64, which the linker stores as a tail of "fcntl64"
  | 'sysv-hash'; // DT_HASH instead of DT_GNU_HASH

const SOURCES: Record<Variant, { source: string; flags: string[] }> = {
  'node-like': { source: NODE_LIKE, flags: ['-D_FILE_OFFSET_BITS=64'] },
  'no-libm-base': { source: NODE_LIKE.replace('cbrt(cube)', '(double)cube'), flags: ['-D_FILE_OFFSET_BITS=64'] },
  'unknown-imports': {
    source: NODE_LIKE.replace(
      'return 0;\n}',
      'if (argc > 5) { renameat2(0, "a", 0, "b", 0); mlock2(argv, 1, 0); }\n  return 0;\n}',
    ),
    flags: ['-D_FILE_OFFSET_BITS=64'],
  },
  'strong-weak-rule': {
    source: NODE_LIKE.replace(
      'return 0;\n}',
      'struct statx sx; loff_t a = 0;\n  if (argc > 5) { statx(0, "/", 0, 0, &sx); copy_file_range(0, &a, 1, &a, 1, 0); }\n  return 0;\n}',
    ),
    flags: ['-D_FILE_OFFSET_BITS=64'],
  },
  'existing-fcntl': {
    source: `${HEADERS}
static int run(int argc, char **argv) { (void)argc; (void)argv; printf("both=%d\\n", fcntl(1, F_GETFD) >= 0 && fcntl64(1, F_GETFD) >= 0); return 0; }
${START}`,
    flags: [],
  },
  'shared-tail': { source: NODE_LIKE.replace('void start_c', 'int ntl64(void) { return 64; }\nvoid start_c'), flags: ['-D_FILE_OFFSET_BITS=64', '-rdynamic'] },
  'sysv-hash': { source: NODE_LIKE, flags: ['-D_FILE_OFFSET_BITS=64', '-Wl,--hash-style=sysv'] },
};

/** Compiles one variant into `dir` and returns the path of the executable. */
export function compileFixture(dir: string, variant: Variant): string {
  const { source, flags } = SOURCES[variant];
  const src = join(dir, `${variant}.c`);
  const out = join(dir, variant);
  writeFileSync(src, source);
  const r = spawnSync('cc', ['-O1', ...flags, '-nostartfiles', '-o', out, src, '-lm'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc failed for fixture ${variant}:\n${r.stderr}`);
  return out;
}

/** Runs a program; returns its stdout, or throws with what the loader or program said. */
export function runProgram(path: string, args: string[] = []): string {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${path} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

/** `readelf --dyn-syms` of the undefined symbols: name(@version) → binding, an independent reader. */
export function readelfImports(path: string): Map<string, string> {
  const r = spawnSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8' });
  const map = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[6] === 'UND' && cols[7]) map.set(cols[7].replace(/ \(\d+\)$/, ''), cols[4]!);
  }
  return map;
}
