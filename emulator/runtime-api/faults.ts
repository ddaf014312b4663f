// Faults a test can plant in the Runtime API: the next `times` requests on a route get the fault
// instead of (or on top of) the normal answer.
export type Fault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'close' }
  | { kind: 'delay'; ms: number }
  | { kind: 'truncate' }
  | { kind: 'omit-header'; header: string };

export type FaultRoute = 'next' | 'response' | 'error' | 'init-error';

const ROUTES: readonly FaultRoute[] = ['next', 'response', 'error', 'init-error'];

interface PlannedFault {
  fault: Fault;
  remaining: number;
}

export class FaultPlan {
  private readonly planned = new Map<FaultRoute, PlannedFault[]>();

  add(route: FaultRoute, fault: Fault, times = 1): void {
    if (!ROUTES.includes(route)) {
      throw new TypeError(`injectFault: unknown route '${String(route)}'; use one of ${ROUTES.join(', ')}`);
    }
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`injectFault: times must be a positive integer, got ${times}`);
    }
    if ((fault.kind === 'truncate' || fault.kind === 'omit-header') && route !== 'next') {
      throw new TypeError(`injectFault: a '${fault.kind}' fault applies to the 'next' route only, not '${route}'`);
    }
    if (fault.kind === 'status' && (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)) {
      throw new RangeError(`injectFault: status must be an HTTP status code (100-599), got ${fault.status}`);
    }
    if (fault.kind === 'delay' && !(fault.ms >= 0)) {
      throw new RangeError(`injectFault: delay ms must be >= 0, got ${fault.ms}`);
    }
    const list = this.planned.get(route) ?? [];
    list.push({ fault, remaining: times });
    this.planned.set(route, list);
  }

  /** The fault for this request on `route`, if one is planned (consumes one use). */
  take(route: FaultRoute): Fault | undefined {
    const list = this.planned.get(route);
    const first = list?.[0];
    if (list === undefined || first === undefined) return undefined;
    first.remaining -= 1;
    if (first.remaining === 0) list.shift();
    return first.fault;
  }
}

export function faultBody(status: number): string {
  return JSON.stringify({ errorMessage: `Injected fault: status ${status}`, errorType: 'InjectedFault' });
}
