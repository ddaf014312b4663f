// The node-line normalisation maps exactly the Node line's facts from our side's line to AWS's
// client's, and nothing else: other text, other versions and the same line are left alone.
import { describe, expect, it } from 'vitest';
import { normaliseNodeLine } from './node-line.ts';

const CROSS = { ours: { line: '26', version: '26.12.1' }, ric: { line: '24', version: '24.21.0' } };
const SAME = { ours: { line: '26', version: '26.12.1' }, ric: { line: '26', version: '26.12.1' } };
const WARNING = '(node:<pid>) [DEP0205] DeprecationWarning: `module.register()` is deprecated. Use `module.registerHooks()` instead.';
const HINT = '(Use `bootstrap --trace-deprecation ...` to show where the warning was created)';

describe('node-line normalisation', () => {
  it('maps the managed runtime name and the exact Node version, naming the facts used', () => {
    const ours = 'lang/js md/nodejs#26.12.1 api/s3#3.1 exec-env/AWS_Lambda_nodejs26.x {"version":"v26.12.1"}';
    const r = normaliseNodeLine('requests to AWS', ours, 'x', CROSS);
    expect(r.ours).toBe('lang/js md/nodejs#24.21.0 api/s3#3.1 exec-env/AWS_Lambda_nodejs24.x {"version":"v24.21.0"}');
    expect(r.used).toEqual(['managed-runtime-name', 'node-version']);
    expect(r.ric).toBe('x');
  });

  it("maps the major in Datadog's runtime tag and New Relic's version metric, only there", () => {
    const ours = 'tags ["functionname:f","runtime:nodejs26.x"] metrics: Supportability/Nodejs/Version/26 ×1, Supportability/Nodejs/Version/260 ×1, nodejs26.x';
    const r = normaliseNodeLine('Datadog metrics', ours, '', CROSS);
    expect(r.ours).toBe('tags ["functionname:f","runtime:nodejs24.x"] metrics: Supportability/Nodejs/Version/24 ×1, Supportability/Nodejs/Version/260 ×1, nodejs26.x');
    expect(r.used).toEqual(['node-major']);
  });

  it('leaves other versions alone: only the pinned one, as a whole, is the line', () => {
    const ours = 'v26.12.10 126.12.1 26.12.1.4 26.1.0 AWS_Lambda_nodejs22.x';
    expect(normaliseNodeLine('req-1 outcome', ours, '', CROSS)).toEqual({ ours, ric: '', used: [] });
  });

  it("drops Node 26's DEP0205 records from log facets only, in TEXT and JSON, and keeps every other record", () => {
    const ours = [
      `stdout ERROR [] ${WARNING}${HINT}`,
      `stdout ERROR [] ${JSON.stringify({ timestamp: '<time>', level: 'ERROR', message: `${WARNING}\n${HINT}` })}`,
      'stdout INFO [] the function said DEP0205',
      'stdout ERROR [] (node:<pid>) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.',
    ].join('\n');
    const r = normaliseNodeLine('outside invocations logs', ours, '', CROSS);
    expect(r.ours.split('\n')).toEqual(['stdout INFO [] the function said DEP0205', 'stdout ERROR [] (node:<pid>) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.']);
    expect(r.used).toEqual(['dep0205-module-register']);
    expect(normaliseNodeLine('requests to AWS', ours, '', CROSS).ours).toBe(ours);
  });

  it("drops the DEP0205 console breadcrumb from Sentry events, and the key when it was the only one", () => {
    const crumb = `console error: ${WARNING}\n${HINT}`;
    const only = `event ${JSON.stringify({ breadcrumbs: [crumb], level: 'error' })}`;
    const more = `event ${JSON.stringify({ breadcrumbs: [crumb, 'http info: GET'], level: 'error' })}`;
    expect(normaliseNodeLine('Sentry envelope items', `${only}\n${more}`, '', CROSS).ours).toBe(
      `event ${JSON.stringify({ level: 'error' })}\nevent ${JSON.stringify({ breadcrumbs: ['http info: GET'], level: 'error' })}`,
    );
  });

  it('changes nothing when both run on the same line (like for like)', () => {
    const ours = `exec-env/AWS_Lambda_nodejs26.x v26.12.1\nstdout ERROR [] ${WARNING}${HINT}`;
    expect(normaliseNodeLine('outside invocations logs', ours, '', SAME)).toEqual({ ours, ric: '', used: [] });
  });
});
