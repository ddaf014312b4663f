// The allow-list and docs/differences.md must agree: every accepted difference is documented, and
// every documented difference is either accepted by an allow-list entry (so parity observes it) or
// listed in NOT_OBSERVED with the reason the suite cannot observe it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOWED, NOT_OBSERVED } from './allow-list.ts';
import { DIFFERENCES_DOC } from './paths.ts';

/** The stable ids (`<a id="…"></a>` before each difference's heading) of docs/differences.md. */
function documentedDifferences(): string[] {
  return [...readFileSync(DIFFERENCES_DOC, 'utf8').matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] ?? '');
}

describe('allow-list ↔ docs/differences.md', () => {
  const documented = documentedDifferences();

  it('docs/differences.md has difference sections with ids', () => {
    expect(documented.length).toBeGreaterThan(0);
  });

  it('every allow-list entry names a documented difference, and gives its reason', () => {
    for (const entry of ALLOWED) {
      expect(documented, `allow-list entry '${entry.anchor}' has no section in docs/differences.md`).toContain(entry.anchor);
      expect(entry.reason.length, `allow-list entry '${entry.anchor}' needs a reason`).toBeGreaterThan(20);
    }
    for (const entry of NOT_OBSERVED) {
      expect(documented, `NOT_OBSERVED entry '${entry.anchor}' has no section in docs/differences.md`).toContain(entry.anchor);
      expect(entry.why.length, `NOT_OBSERVED entry '${entry.anchor}' needs a reason`).toBeGreaterThan(20);
    }
  });

  it('every documented difference is observed by the parity suite or says why it cannot be', () => {
    const accounted = new Set([...ALLOWED.map((e) => e.anchor), ...NOT_OBSERVED.map((e) => e.anchor)]);
    const missing = documented.filter((anchor) => !accounted.has(anchor));
    expect(missing, 'docs/differences.md sections that neither an allow-list entry nor NOT_OBSERVED accounts for').toEqual([]);
  });

  it('no difference is both accepted and declared unobservable', () => {
    const observed = new Set(ALLOWED.map((e) => e.anchor));
    expect(NOT_OBSERVED.map((e) => e.anchor).filter((a) => observed.has(a))).toEqual([]);
  });
});
