// The `Lambda-Runtime-Function-XRay-Error-Cause` header: the error in X-Ray's "cause" shape, so a
// traced invocation shows the exception and its stack in X-Ray, as with AWS's Node runtime.

export interface XRayStackFrame {
  path: string;
  line: number;
  label: string;
}

export interface XRayErrorCause {
  working_directory: string;
  exceptions: { type: string; message: string; stack: XRayStackFrame[] }[];
  paths: string[];
}

/** Lambda drops a larger cause; the header is then left out. */
export const MAX_XRAY_CAUSE_BYTES = 64 * 1024;

// "    at label (path:line:column)" or "    at path:line:column"
const FRAME = /^\s*at (?:(.*?) \((.*?):(\d+):\d+\)|(.*?):(\d+):\d+)$/;

export function xrayErrorCause(error: unknown, workingDirectory: string): XRayErrorCause | undefined {
  if (!(error instanceof Error)) return undefined;
  try {
    const stack: XRayStackFrame[] = [];
    for (const line of String(error.stack ?? '').split('\n').slice(1)) {
      const match = FRAME.exec(line);
      if (!match) continue;
      const [, label, labelledPath, labelledLine, path, bareLine] = match;
      stack.push({
        path: (labelledPath ?? path)!,
        line: Number(labelledLine ?? bareLine),
        label: label || 'anonymous',
      });
    }
    return {
      working_directory: workingDirectory,
      exceptions: [{ type: String(error.name), message: String(error.message), stack }],
      paths: [...new Set(stack.map((frame) => frame.path))],
    };
  } catch {
    // An Error whose accessors throw has no cause to show; the error body still says what failed.
    return undefined;
  }
}

/** The header value: JSON with every non-ASCII character escaped (a header carries ASCII only). */
export function xrayErrorCauseHeader(cause: XRayErrorCause | undefined): string | undefined {
  if (cause === undefined) return undefined;
  const value = JSON.stringify(cause).replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return value.length <= MAX_XRAY_CAUSE_BYTES ? value : undefined;
}
