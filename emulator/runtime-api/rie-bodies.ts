// What the service's answers are made of, as AWS's Runtime Interface Emulator writes them: Go's
// encoding/json (rapi/rendering/render_json.go), model.ErrorResponse, the accepted body, and the
// reason of a refused state transition. Shared by the state tables (state-table.ts,
// extension-state-table.ts) and the server that renders them.

/** encoding/json with SetEscapeHTML(true), as rendering.RenderJSON writes it: `<`, `>`, `&`,
 * U+2028 and U+2029 escaped, and the newline json.Encoder.Encode appends. */
export function goJson(value: unknown): string {
  return `${goMarshal(value)}\n`;
}

/** json.Marshal (no trailing newline), which also escapes HTML characters. */
export function goMarshal(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/** model.ErrorResponse: errorMessage before errorType. */
export function errorResponse(errorType: string, errorMessage: string): string {
  return goJson({ errorMessage, errorType });
}

export const ACCEPTED_BODY = goJson({ status: 'OK' });

/** core/states.go ErrNotAllowed: the reason every refused transition quotes. */
export const NOT_ALLOWED = 'State transition is not allowed';

/** A row body: the accepted body. */
export const accepted = (): string => ACCEPTED_BODY;
/** A row body: none (a held request, or a service flow row). */
export const empty = (): string => '';
