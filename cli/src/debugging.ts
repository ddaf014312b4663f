// `--inspect[=[host:]port]` and `--inspect-brk[=[host:]port]` on invoke, serve and watch: the
// runtime started with Node's inspector, so VS Code or Chrome DevTools attach and stop on a line of
// the handler (a .ts handler is type-stripped with its lines and columns kept, so a breakpoint on
// the .ts line is hit without a source map). The binary is a Node single executable application,
// which takes node options from NODE_OPTIONS (not from its command line, which is the
// application's): the flag is appended to the function's NODE_OPTIONS. --inspect-brk stops at the
// first statement of the runtime itself, before the handler loads, so breakpoints in the
// handler's init can be set first. The emulator watches the inspector for pauses
// (EmulatorOptions.debugging, emulator/debugger-observer.ts): the function timeout and the init
// limit stand still while a debugger holds the runtime paused; the deadline the function sees
// (context.getRemainingTimeInMillis) is still --timeout's from delivery.
import { ToolError } from './build-binary.ts';

export interface InspectRequest {
  flag: '--inspect' | '--inspect-brk';
  /** host:port the inspector listens on. */
  address: string;
}

/** Node's default inspector address. */
export const DEFAULT_INSPECT_ADDRESS = '127.0.0.1:9229';

/**
 * The inspector the command line asks for: commander gives `true` for a bare flag, the text after
 * `=` otherwise. Errors: ToolError for both flags at once or an address that is not [host:]port.
 */
export function inspectOf(inspect: unknown, inspectBrk: unknown): InspectRequest | undefined {
  if (inspect !== undefined && inspectBrk !== undefined) throw new ToolError('use either --inspect or --inspect-brk, not both');
  const value = inspect ?? inspectBrk;
  if (value === undefined) return undefined;
  const flag = inspect !== undefined ? '--inspect' : '--inspect-brk';
  if (value === true) return { flag, address: DEFAULT_INSPECT_ADDRESS };
  const text = String(value);
  const match = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) throw new ToolError(`${flag} expects [host:]port, e.g. ${flag}=9229 or ${flag}=127.0.0.1:9229, got '${text}'`);
  return { flag, address: `${match[1] ?? '127.0.0.1'}:${port}` };
}

/** The function's NODE_OPTIONS with the inspector flag appended (after the function's own). */
export function nodeOptionsWithInspector(own: string | undefined, request: InspectRequest): string {
  const flag = `${request.flag}=${request.address}`;
  return own === undefined || own.trim() === '' ? flag : `${own} ${flag}`;
}

/**
 * A warning for an inspector that listens beyond loopback (`--inspect=0.0.0.0:9229`, a LAN
 * address), or undefined: whoever reaches the port can run any code in the runtime, with the AWS
 * credentials the tool hands the function, and Node says nothing about it. As `serve --host`
 * warns (emulator/caller-guard.ts exposureWarning).
 */
export function inspectorExposure(request: InspectRequest): string | undefined {
  const host = request.address.slice(0, request.address.lastIndexOf(':')).toLowerCase();
  if (host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  return (
    `warning: ${request.flag}=${request.address}: the inspector is reachable beyond this machine, and anyone who connects to it runs code ` +
    `in the function with the AWS credentials of this shell; use ${request.flag}=127.0.0.1:${request.address.slice(request.address.lastIndexOf(':') + 1)} ` +
    `and an SSH tunnel to debug from elsewhere`
  );
}
