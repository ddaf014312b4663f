// The function's log records on a terminal. The runtime joins the lines of one record with `\r`
// (docs/logging.md: so a stack trace stays one CloudWatch event); a terminal takes `\r` as "back to
// column 0", and the frames overwrite each other. When the tool's stderr (where the function's
// output and the REPORT lines go) is a terminal, each such `\r` is shown as a new line, indented so
// the record's continuation stands out; `\r\n` stays one line break. Piped or redirected output,
// and `--raw-logs`, keep the bytes the runtime wrote (what CloudWatch and a log shipper get).
//
// Hand-written, with a reason: the function's output reaches stderr from several writers (the
// emulator's live echo, `invoke`'s printing, the service's own lines), so the rendering sits at the
// one place they all pass, the stream's write; a library would add nothing to one character rule.

/** What continuation lines of a multi-line record start with on a terminal. */
export const CONTINUATION_INDENT = '    ';

/** Turns record-internal `\r` into a newline plus CONTINUATION_INDENT, across chunk boundaries
 * (a `\r` ending one chunk and `\n` starting the next are one `\r\n`). */
export class RecordRenderer {
  private pendingCr = false;

  /** The terminal form of the next chunk of output (UTF-8 text). */
  push(text: string): string {
    let out = '';
    let from = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.startsWith('\n')) {
        out += '\n';
        from = 1;
      } else if (text !== '') out += `\n${CONTINUATION_INDENT}`;
      else this.pendingCr = true;
    }
    for (let i = from; i < text.length; i++) {
      const c = text[i];
      if (c !== '\r') {
        out += c;
        continue;
      }
      if (i === text.length - 1) this.pendingCr = true;
      else if (text[i + 1] === '\n') {
        out += '\n';
        i++;
      } else out += `\n${CONTINUATION_INDENT}`;
    }
    return out;
  }

  /** What a `\r` at the very end still owes (a line break), e.g. before the process exits. */
  flush(): string {
    if (!this.pendingCr) return '';
    this.pendingCr = false;
    return '\n';
  }
}

/**
 * Renders everything written to `stream` (the tool's stderr) through a RecordRenderer when
 * `enabled`, typically `stream.isTTY === true && !rawLogs`. Returns a function that restores the
 * stream's own write. Strings and buffers are both decoded as UTF-8 (the runtime's output is).
 */
export function renderRecordsOn(stream: NodeJS.WriteStream, enabled: boolean): () => void {
  if (!enabled) return () => {};
  const renderer = new RecordRenderer();
  const original = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  const decoder = new TextDecoder('utf-8');
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    return original(renderer.push(text), ...rest);
  };
  stream.write = write as typeof stream.write;
  return () => {
    const tail = renderer.flush();
    stream.write = original as typeof stream.write;
    if (tail !== '') original(tail);
  };
}
