// The REPORT line Lambda writes after every invocation, in AWS's own format (tab-separated).
export interface ReportFields {
  requestId: string;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number | undefined;
  /** Only on the invocation that followed a (re)spawn. */
  initDurationMs: number | undefined;
  /** Lambda appends `Status: timeout` / `Status: error` when it, not the function, ended the invoke. */
  status?: 'timeout' | 'error' | undefined;
  errorType?: string | undefined;
}

export function reportLine(fields: ReportFields): string {
  // Custom runtimes are billed for init too, at 1 ms granularity.
  const billedMs = Math.max(1, Math.ceil(fields.durationMs + (fields.initDurationMs ?? 0)));
  const parts = [
    `REPORT RequestId: ${fields.requestId}`,
    `Duration: ${fields.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedMs} ms`,
    `Memory Size: ${fields.memorySizeMb} MB`,
    `Max Memory Used: ${fields.maxMemoryUsedMb ?? 0} MB`,
  ];
  if (fields.initDurationMs !== undefined) parts.push(`Init Duration: ${fields.initDurationMs.toFixed(2)} ms`);
  if (fields.status !== undefined) parts.push(`Status: ${fields.status}`);
  if (fields.errorType !== undefined) parts.push(`Error Type: ${fields.errorType}`);
  return parts.join('\t');
}
