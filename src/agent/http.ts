/**
 * The agent's HTTP layer, shaped after what upstream's agent (Flask behind gunicorn) puts on the
 * wire (spec §14): compact JSON without charset, `Connection: close` on every response, Werkzeug's
 * `{"error": "<code> <Name>: <description>", "http_code": <code>}` for routing errors and aborts,
 * Flask's routing rules (a path variable is one segment; a URL that matches only with another
 * method is a 405).
 */

export interface AgentRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface AgentResponse {
  readonly status: number;
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: AgentRequest) => Promise<AgentResponse> | AgentResponse;

export function json(status: number, value: unknown, headers?: Record<string, string>): AgentResponse {
  return { status, body: JSON.stringify(value), contentType: 'application/json', ...(headers ? { headers } : {}) };
}

/** `{"message": ..., "details": ...}`, the handlers' own shape; `details` left out when undefined. */
export function message(status: number, text: string, details?: string, headers?: Record<string, string>): AgentResponse {
  return json(status, details === undefined ? { message: text } : { message: text, details }, headers);
}

const WERKZEUG: Readonly<Record<number, readonly [string, string]>> = {
  400: ['Bad Request', 'The browser (or proxy) sent a request that this server could not understand.'],
  404: [
    'Not Found',
    'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
  ],
  405: ['Method Not Allowed', 'The method is not allowed for the requested URL.'],
  413: ['Request Entity Too Large', 'The data value transmitted exceeds the capacity limit.'],
  500: [
    'Internal Server Error',
    'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.',
  ],
};

/** A Werkzeug HTTPException rendered by upstream's JSON error handler. */
export function werkzeugError(code: number, description?: string, headers?: Record<string, string>): AgentResponse {
  const [name, text] = WERKZEUG[code] ?? ['Error', ''];
  return json(code, { error: `${code} ${name}: ${description ?? text}`, http_code: code }, headers);
}

/** Thrown by handlers to answer with a response from deep inside (upstream's `abort`). */
export class HttpAbort extends Error {
  readonly response: AgentResponse;
  constructor(response: AgentResponse) {
    super(`HTTP ${response.status}`);
    this.name = 'HttpAbort';
    this.response = response;
  }
}

interface Route {
  readonly method: string;
  readonly segments: readonly ({ readonly literal: string } | { readonly param: string })[];
  readonly handler: Handler;
  readonly weight: number;
}

export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const segments = pattern
      .split('/')
      .slice(1)
      .map((s) => (s.startsWith('<') && s.endsWith('>') ? { param: s.slice(1, -1) } : { literal: s }));
    const weight = segments.filter((s) => 'literal' in s).length;
    this.#routes.push({ method, segments, handler, weight });
    // Werkzeug tries rules with more static parts first.
    this.#routes.sort((a, b) => b.weight - a.weight);
    return this;
  }

  /** The handler and path parameters for a request, or the routing error to answer with. */
  resolve(method: string, rawPath: string): { handler: Handler; params: Record<string, string> } | { error: AgentResponse } {
    const parts = rawPath.split('/').slice(1);
    let decoded: string[];
    try {
      decoded = parts.map((p) => decodeURIComponent(p));
    } catch {
      return { error: werkzeugError(404) };
    }
    const lookup = method === 'HEAD' ? 'GET' : method;
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const params = match(route, decoded);
      if (params === null) continue;
      if (route.method === lookup) return { handler: route.handler, params };
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
    }
    if (allowed.size > 0) {
      allowed.add('OPTIONS');
      return { error: werkzeugError(405, undefined, { Allow: [...allowed].sort().join(', ') }) };
    }
    return { error: werkzeugError(404) };
  }
}

function match(route: Route, parts: readonly string[]): Record<string, string> | null {
  if (parts.length !== route.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = route.segments[i]!;
    const part = parts[i]!;
    if ('literal' in seg) {
      if (seg.literal !== part) return null;
    } else {
      // Flask's default converter: one non-empty segment without '/'.
      if (part === '' || part.includes('/')) return null;
      params[seg.param] = part;
    }
  }
  return params;
}

/** The request body as JSON, or undefined when it is not JSON (Flask's `get_json(silent)` then fails). */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
