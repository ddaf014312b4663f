// What the runtime process writes to stdout and stderr, and which invocation each line belongs to.
// Lambda attributes a function's log lines to the invocation that wrote them; the Invoke API's
// `LogType: Tail` returns "the last 4 KB of the execution log" of that one invocation (Lambda API
// reference, Invoke, X-Amz-Log-Result). Locally the lines arrive through two pipes, a moment after
// they were written, possibly after the next invocation was already handed out (or, under
// AWS_LAMBDA_MAX_CONCURRENCY, while several run at once). So a line goes to an invocation by:
// 1. the request id it carries: the runtime's records are `timestamp\trequestId\tLEVEL\t…` (text
//    format; aws-lambda-ric writes the same) or a JSON object whose first `"requestId"` is the
//    record's (JSON format). This holds whatever else runs at the same time;
// 2. a line without one (a raw process.stdout.write, a stack printed by Node): the invocation
//    whose output window is open, when exactly one is (from its delivery until its output is
//    complete); while none is open after a process started, the init phase's lines, which the
//    first invocation of that process takes; otherwise no invocation's (never a guess).
// Everything is bounded (limits.ts): each invocation keeps the last INVOCATION_LOG_BYTES of its
// lines, at most ANSWERED_LOG_WINDOWS answered ones wait for their output to complete, a finished one is kept for INVOCATION_LOG_HISTORY more invocations, and the process-wide
// stdout/stderr/output histories keep their last OUTPUT_HISTORY_CHARS.
import { ANSWERED_LOG_WINDOWS, INVOCATION_LOG_BYTES, INVOCATION_LOG_HISTORY, OUTPUT_HISTORY_CHARS, keepTail } from '../limits.ts';

type Stream = 'stdout' | 'stderr';

// `2026-12-05T15:43:51.701Z\t<request id>\t` (the text format's first two fields).
const TEXT_RECORD = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t([^\t\r\n]+)\t/;
// The JSON format's requestId field: the record writes it before the message.
const JSON_RECORD = /"requestId":"([^"\\]{1,128})"/;

/** What the output capture holds right now (the memory-retention test reads it). */
export interface OutputRetention {
  /** Invocations with a log of their own (open windows and the finished history). */
  invocationLogs: number;
  /** Characters held in all of those logs. */
  invocationLogChars: number;
  /** Characters in the process-wide stdout, stderr and output histories and unfinished lines. */
  historyChars: number;
}

export class FunctionOutput {
  private stdoutText = '';
  private stderrText = '';
  private outputText = '';
  /** Each pipe's unfinished last line (lines from the two pipes never mix mid-line). */
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };
  /** Delivered invocations whose output is not complete yet: request id → their lines. */
  private readonly open = new Map<string, string>();
  /** The open windows whose invocation was answered, oldest first. */
  private readonly answeredOpen = new Set<string>();
  /** Finished invocations' lines, oldest first, at most INVOCATION_LOG_HISTORY. */
  private readonly finished = new Map<string, string>();
  /** Lines of the current process written before its first invocation was delivered. */
  private initLines: string | undefined = '';
  private readonly historyChars: number;

  /** `historyChars`: how much of stdout, stderr and output to keep (Infinity for a one-shot run). */
  constructor(historyChars = OUTPUT_HISTORY_CHARS) {
    this.historyChars = historyChars;
  }

  /** The last OUTPUT_HISTORY_CHARS (at least) the runtime wrote to stdout. */
  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Both pipes and the service's own lines, in arrival order. */
  get output(): string {
    return this.outputText;
  }

  /** A piece of text from one of the runtime's pipes. */
  capture(text: string, stream: Stream): void {
    if (stream === 'stdout') this.stdoutText = keepTail(this.stdoutText + text, this.historyChars);
    else this.stderrText = keepTail(this.stderrText + text, this.historyChars);
    this.outputText = keepTail(this.outputText + text, this.historyChars);
    if (!text.includes('\n')) {
      // The middle of a long line: appended without re-reading what came before.
      this.partial[stream] = keepTail(this.partial[stream] + text, this.historyChars);
      return;
    }
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = keepTail(lines.pop() ?? '', this.historyChars);
    for (const line of lines) this.attribute(`${line}\n`);
  }

  /** A line the service writes to the function's log (INIT_REPORT, "Task timed out"): the named
   * invocation's, or the init phase's. */
  platformLine(line: string, requestId?: string): void {
    this.outputText = keepTail(`${this.outputText}${line}\n`, this.historyChars);
    if (requestId === undefined) this.attribute(`${line}\n`);
    else this.append(requestId, `${line}\n`);
  }

  /** A new runtime process: its init lines start empty. */
  processStarted(): void {
    this.initLines = '';
  }

  /** `requestId` was handed to the runtime: its output window opens. */
  begin(requestId: string): void {
    // The first invocation of a process carries its init phase (the caller that waited for it).
    this.open.set(requestId, this.initLines ?? '');
    this.initLines = undefined;
  }

  /** `requestId` was answered; its window stays open until end(), unless more than
   * ANSWERED_LOG_WINDOWS answered windows are open, when the oldest closes now (a line carrying its
   * request id still reaches it in the finished history; a raw line had no single owner anyway). */
  answered(requestId: string): void {
    if (!this.open.has(requestId)) return;
    this.answeredOpen.add(requestId);
    while (this.answeredOpen.size > ANSWERED_LOG_WINDOWS) this.end(this.answeredOpen.values().next().value as string);
  }

  /** `requestId`'s output is complete (the runtime asked for more work, or died, and its pipes went
   * quiet): its lines move to the bounded history. An invocation that was never delivered (an
   * init error answered from the queue) gets the init phase's lines. */
  end(requestId: string): void {
    this.answeredOpen.delete(requestId);
    // Closed early by answered(): already in the history.
    if (!this.open.has(requestId) && this.finished.has(requestId)) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      // A last line without its newline: written by now, so it is this window's.
      if (this.partial[stream] !== '' && this.open.size === 1 && this.open.has(requestId)) {
        const line = this.partial[stream];
        this.partial[stream] = '';
        this.attribute(`${line}\n`);
      }
    }
    let lines = this.open.get(requestId);
    this.open.delete(requestId);
    if (lines === undefined) lines = this.initLines ?? '';
    this.finished.delete(requestId);
    this.finished.set(requestId, lines);
    while (this.finished.size > INVOCATION_LOG_HISTORY) this.finished.delete(this.finished.keys().next().value as string);
  }

  /** The invocation's own lines (its last INVOCATION_LOG_BYTES at least), or undefined when it is
   * unknown or has left the history. Complete once its outcome's logsComplete resolved. */
  logOf(requestId: string): string | undefined {
    return this.open.get(requestId) ?? this.finished.get(requestId);
  }

  retention(): OutputRetention {
    let chars = 0;
    for (const lines of [...this.open.values(), ...this.finished.values()]) chars += lines.length;
    return {
      invocationLogs: this.open.size + this.finished.size,
      invocationLogChars: chars,
      historyChars:
        this.stdoutText.length + this.stderrText.length + this.outputText.length + this.partial.stdout.length + this.partial.stderr.length + (this.initLines?.length ?? 0),
    };
  }

  private attribute(line: string): void {
    const id = requestIdOf(line);
    if (id !== undefined && (this.open.has(id) || this.finished.has(id))) return this.append(id, line);
    // Another (forgotten) invocation's record; outside an invocation the runtime writes `undefined`
    // (AWS's client 4.x: `-`), which counts as no id.
    if (id !== undefined && id !== 'undefined' && id !== '-') return;
    if (this.open.size === 1) return this.append(this.open.keys().next().value as string, line);
    if (this.open.size === 0 && this.initLines !== undefined) this.initLines = keepInvocationLog(this.initLines + line);
  }

  private append(requestId: string, line: string): void {
    const open = this.open.get(requestId);
    if (open !== undefined) return void this.open.set(requestId, keepInvocationLog(open + line));
    const done = this.finished.get(requestId);
    if (done !== undefined) this.finished.set(requestId, keepInvocationLog(done + line));
  }
}

/** The request id a runtime log record carries, or undefined for a line that is not a record. */
export function requestIdOf(line: string): string | undefined {
  const text = TEXT_RECORD.exec(line);
  if (text !== null) return text[1];
  if (line.startsWith('{')) return JSON_RECORD.exec(line)?.[1];
  return undefined;
}

// The Tail is the last 4 KB of START, the lines, END and REPORT: the last INVOCATION_LOG_BYTES
// characters of the lines are always enough (a character is at least one byte).
function keepInvocationLog(text: string): string {
  return text.length > 2 * INVOCATION_LOG_BYTES ? text.slice(text.length - INVOCATION_LOG_BYTES) : text;
}
