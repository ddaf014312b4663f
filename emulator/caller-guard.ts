// Who may call the local servers (invoke/local-server.ts for `serve`/`watch`, invoke/invoke-endpoint.ts for
// emulator/cli.ts). The function behind them runs with the developer's own AWS credentials, and
// any web page the developer visits can send requests to 127.0.0.1. Two attacks, two checks, as
// the dev servers do since the DNS-rebinding advisories (webpack-dev-server `allowedHosts`, Vite
// `server.allowedHosts`, CVE-2025-24010):
// - DNS rebinding: a page on attacker.example re-points its name at 127.0.0.1 and then reads our
//   answers as same-origin. Its requests carry `Host: attacker.example`, so a Host that is not
//   localhost (or *.localhost), an IP address, the --host name or an --allowed-host is refused.
//   An IP address cannot be rebound (the page's origin would have to be that address), so every IP
//   is accepted, as Vite and webpack do: that covers 127.0.0.1, ::1 and the LAN address of a
//   server bound to 0.0.0.0.
// - Cross-site requests (CSRF): a page elsewhere POSTs to us blind. Browsers mark such requests:
//   `Sec-Fetch-Site: cross-site` / `same-site` (another port of localhost is same-site), and an
//   `Origin` that is not ours; a browser without Sec-Fetch-* and Origin (an older one, a GET)
//   still sends a Referer, whose origin must be ours. All are refused on every path. The invoke paths (RIE endpoint,
//   Invoke API) also refuse a browser's "simple" request (no Content-Type, or text/plain or a form
//   type): that is the kind a browser sends cross-site without a CORS preflight, and an older
//   browser may send it without Origin; a browser that means it sends application/json, which any
//   other site could only send after a preflight that we never approve.
// Same-origin browser use of the front door (a page it serves calling it back) keeps working, and
// so does every non-browser client (curl, the AWS CLI and SDKs send no Origin or Sec-Fetch-*).
import { isIP } from 'node:net';
import type http from 'node:http';
import { discardBody } from './limits.ts';
import { header } from './listening.ts';

/** Which way in a request takes: the HTTP front door, or one of the invoke paths. */
export type Way = 'front-door' | 'invoke-api' | 'rie';

export interface CallerGuardOptions {
  /** The address the server is bound to (`--host`); a name here is an accepted Host too. */
  host: string;
  /** `--allowed-host` values: a host name (any port), `.example.com` for the name and every
   * subdomain, or `all` to switch the Host check off (for a proxy that rewrites Host). */
  allowedHosts?: readonly string[];
}

// CORS-safelisted Content-Type essences: a browser sends these cross-origin without a preflight.
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

export class CallerGuard {
  private readonly boundHost: string;
  private readonly allowed: readonly string[];
  private readonly anyHost: boolean;

  constructor(options: CallerGuardOptions) {
    this.boundHost = options.host.toLowerCase();
    const allowed = (options.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    this.anyHost = allowed.includes('all');
    this.allowed = allowed.filter((h) => h !== 'all');
  }

  /**
   * Why the request must be refused (a sentence for the 403 body and the log), or undefined when
   * it may reach the function. Reads only the request's headers; never throws.
   */
  check(req: http.IncomingMessage, way: Way): string | undefined {
    const host = req.headers.host;
    if (host !== undefined && !this.anyHost && !this.hostAllowed(hostnameOf(host))) {
      const name = hostnameOf(host) ?? host;
      return (
        `Host "${host}" is not a name of this server: requests must name localhost, an IP address or the --host value ` +
        `(a foreign Host is how a DNS-rebinding web page reaches a local server). If you reach it through that name on purpose, ` +
        `start it with --allowed-host ${name}`
      );
    }
    const site = header(req, 'sec-fetch-site');
    const origin = header(req, 'origin');
    if (site === 'cross-site' || site === 'same-site') {
      return (
        `a ${site} browser request${origin === undefined ? '' : ` from ${origin}`} (Sec-Fetch-Site: ${site}): the function runs with your ` +
        `AWS credentials, so only pages this server serves itself may call it`
      );
    }
    if (origin !== undefined && !sameOrigin(origin, host)) {
      return (
        `a cross-origin browser request from ${origin} to ${host ?? 'this server'}: the function runs with your AWS credentials, ` +
        `so only pages this server serves itself may call it`
      );
    }
    // A browser without Sec-Fetch-* (Safari before 16.4, older Chrome and Firefox) sends no Origin
    // on a GET from an <img> or a link elsewhere, but its Referer names the page that sent it
    // (unless that page hides it). Only the Referer's origin is printed: its path may hold tokens.
    const referer = header(req, 'referer');
    if (site === undefined && origin === undefined && referer !== undefined) {
      const from = originOf(referer);
      if (from !== undefined && !sameOrigin(from, host)) {
        return `a cross-origin browser request from a page on ${from} (its Referer) to ${host ?? 'this server'}: the function runs with your AWS credentials, so only pages this server serves itself may call it`;
      }
    }
    if (way !== 'front-door' && fromBrowser(req)) {
      const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === '' || SIMPLE_TYPES.has(type)) {
        return (
          `a browser request with ${type === '' ? 'no Content-Type' : `Content-Type ${type}`} to the ${way === 'rie' ? 'RIE invoke endpoint' : 'Lambda Invoke API'}: ` +
          `browsers send that kind cross-site without asking (a "simple" request), so it is refused; send Content-Type: application/json`
        );
      }
    }
    return undefined;
  }

  private hostAllowed(hostname: string | undefined): boolean {
    if (hostname === undefined) return false;
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
    if (isIP(hostname) !== 0) return true;
    if (!WILDCARD_HOSTS.has(this.boundHost) && hostname === this.boundHost) return true;
    return this.allowed.some((entry) => (entry.startsWith('.') ? hostname === entry.slice(1) || hostname.endsWith(entry) : hostname === hostnameOf(entry)));
  }
}

/**
 * The 403 for a refused request, in the error shape of the way it took: the Invoke API's REST-JSON
 * error (x-amzn-ErrorType AccessDeniedException), the RIE endpoint's `{errorType, errorMessage}`,
 * the function URL's `{"Message":…}`. The request body is read and dropped (limits.ts discardBody).
 */
export function sendRefusal(res: http.ServerResponse, way: Way, reason: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let body: string;
  if (way === 'invoke-api') {
    body = JSON.stringify({ Type: 'User', Message: `Forbidden: ${reason}` });
    headers['x-amzn-errortype'] = 'AccessDeniedException';
  } else if (way === 'rie') {
    body = JSON.stringify({ errorType: 'Forbidden', errorMessage: reason });
  } else {
    body = JSON.stringify({ Message: `Forbidden: ${reason}` });
    headers['x-amzn-errortype'] = 'AccessDeniedException';
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  // The body is not kept: read and dropped first, so that a client still sending gets its 403.
  void discardBody(res.req).then(() => {
    if (res.destroyed) return;
    res.writeHead(403, headers);
    res.end(body);
  });
}

const RUNTIME_API_GUARD = new CallerGuard({ host: '127.0.0.1' });

/**
 * Why a request to the emulated Runtime API must be refused, or undefined. Only the runtime
 * process calls it (on Lambda, only the sandbox can): a browser's request (Origin, Referer,
 * Sec-Fetch-Site or Sec-Fetch-Dest) or a Host that is a name other than localhost is a web page
 * reaching the port (it could take the next event, with its data, or post a result in the
 * function's place). The runtime sends `Host: <AWS_LAMBDA_RUNTIME_API>`, an address or localhost.
 */
export function runtimeApiRefusal(req: http.IncomingMessage): string | undefined {
  if (fromBrowser(req)) return 'a browser request to the Runtime API: only the runtime process may call it';
  return RUNTIME_API_GUARD.check(req, 'front-door');
}

/**
 * A warning for a server bound beyond loopback (`--host 0.0.0.0`, a LAN address), or undefined
 * for a loopback bind. `url` is where it listens.
 */
export function exposureWarning(host: string, port: number, allowedHosts: readonly string[] = []): string | undefined {
  const h = host.toLowerCase();
  if (allowedHosts.some((a) => a.trim().toLowerCase() === 'all')) {
    return `warning: --allowed-host all: any Host is accepted on ${host}:${port}, so a DNS-rebinding web page can call the function, which runs with the AWS credentials of this shell; name the hosts instead.`;
  }
  if (h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h)) return undefined;
  const where = WILDCARD_HOSTS.has(h) ? 'every network this machine is on' : `the network of ${host}`;
  return (
    `warning: listening on ${host}:${port}: the function runs with the AWS credentials of this shell and is now reachable from ${where}; ` +
    `anyone who can connect can invoke it. Bind 127.0.0.1 (the default) unless that is what you want.`
  );
}

/** The lower-cased host name of a Host header value (`[::1]:8080` → `::1`), or undefined if it is not one. */
export function hostnameOf(host: string): string | undefined {
  try {
    const url = new URL(`http://${host}`);
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
    const name = url.hostname.toLowerCase();
    return name.startsWith('[') ? name.slice(1, -1) : name;
  } catch {
    return undefined;
  }
}

/** An Origin is ours when it names the Host the request was sent to (scheme aside: we only speak
 * HTTP, and a TLS-terminating proxy in front keeps the name). `null` origins are never ours. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    const from = new URL(origin);
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}

/** The origin of a Referer URL (`https://a.example/x?y` → `https://a.example`), undefined when it
 * is not an http(s) URL. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Browsers mark their requests; curl, the AWS CLI and the SDKs send none of these. (Not
 * Sec-Fetch-Mode alone: Node's own fetch sends `sec-fetch-mode: cors` and nothing else.) */
function fromBrowser(req: http.IncomingMessage): boolean {
  const h = req.headers;
  return h.origin !== undefined || h.referer !== undefined || h['sec-fetch-site'] !== undefined || h['sec-fetch-dest'] !== undefined;
}
