/**
 * `openstack loadbalancer …` against a running Octavius, for tests. Every command runs with
 * `--debug`, which makes the client log each HTTP exchange (REQ/RESP lines on stderr); when a
 * command does not do what the test expects, the failure message names the command, the client's
 * own error line and the exchanges it had with Octavius, so the answer that confused the client
 * can be read off the test output without re-running anything.
 */
import { CLOUD, type OctaviusProcess } from './octavius-process.js';
import { clientEnv, OPENSTACK, runClient, type ClientResult } from './run-client.js';

interface Exchange {
  method: string;
  url: string;
  body?: string;
  status?: string;
  response?: string;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The HTTP exchanges of one client run, read from its --debug log. */
export function exchanges(stderr: string, base: string): Exchange[] {
  const out: Exchange[] = [];
  for (const line of stderr.split('\n')) {
    // keystoneauth quotes the URL when it has a query string, neutronclient does not.
    const req = /^REQ: curl -g -i -X (\w+) "?([^" ]+)"?(.*)$/.exec(line);
    if (req) {
      const body = / -d '(.*)'$/.exec(req[3]!)?.[1];
      out.push({ method: req[1]!, url: req[2]!.replace(base, ''), ...(body !== undefined ? { body } : {}) });
      continue;
    }
    const last = out[out.length - 1];
    if (!last) continue;
    const resp = /^RESP: \[(\d+)\]/.exec(line);
    if (resp) last.status = resp[1]!;
    else if (line.startsWith('RESP BODY: ')) last.response = line.slice('RESP BODY: '.length);
  }
  return out;
}

/** The message the client printed for its failure (without --debug this is all a user sees). */
export function errorLine(stderr: string): string {
  const cleanUp = /^clean_up \w+: (.*)$/m.exec(stderr);
  if (cleanUp) return cleanUp[1]!;
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('END return value'));
  return lines[lines.length - 1] ?? '';
}

/**
 * The client's Python traceback, when it has one: a response it could not parse (a missing key,
 * a wrong type) shows up as an exception inside the client rather than as an HTTP error.
 */
function traceback(stderr: string): string {
  const start = stderr.lastIndexOf('Traceback (most recent call last):');
  if (start < 0) return '';
  return `client traceback:\n${stderr.slice(start).split('\n').slice(0, 40).join('\n')}`;
}

export class OpenstackCli {
  readonly #octavius: OctaviusProcess;
  readonly #timeoutMs: number;
  readonly #maxParallel: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  /**
   * `maxParallel` bounds the clients running at once: each is a Python start-up of about a second
   * of CPU, so more of them than a few per core only adds memory and makes every one slower.
   */
  constructor(octavius: OctaviusProcess, options: { timeoutMs?: number; maxParallel?: number } = {}) {
    this.#octavius = octavius;
    this.#timeoutMs = options.timeoutMs ?? 45_000;
    this.#maxParallel = options.maxParallel ?? 4;
  }

  /** `openstack --os-cloud octavius --debug loadbalancer <args>`. */
  async run(args: readonly string[]): Promise<ClientResult> {
    if (this.#running >= this.#maxParallel) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#running++;
    try {
      return await runClient(OPENSTACK, ['--os-cloud', CLOUD, '--debug', 'loadbalancer', ...args], {
        env: clientEnv(this.#octavius.dir, { OS_CLIENT_CONFIG_FILE: this.#octavius.cloudsFile }),
        cwd: this.#octavius.dir,
        timeoutMs: this.#timeoutMs,
      });
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }

  describe(args: readonly string[], result: ClientResult, expectation: string): string {
    const how = result.timedOut
      ? `did not finish within ${this.#timeoutMs} ms (a --wait that never saw ACTIVE or a 404?)`
      : result.code === null && result.signal === null
        ? 'could not be started'
        : `exited with ${result.code ?? result.signal} after ${result.ms} ms`;
    const log = exchanges(result.stderr, this.#octavius.url)
      .map((x) => `  ${x.method} ${x.url}${x.body ? ` ${clip(x.body, 400)}` : ''} -> ${x.status ?? '(no answer)'} ${clip(x.response ?? '', 400)}`)
      .slice(-25);
    // Octavius logs at warn level: anything it logged (a 500's stack, a failed flow) belongs here.
    const serverLog = this.#octavius
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .slice(-10)
      .map((l) => `  ${clip(l, 1500)}`);
    const error = errorLine(result.stderr);
    return [
      `openstack loadbalancer ${args.join(' ')} ${how}; expected ${expectation}.`,
      `client error: ${error || '(none)'}`,
      log.length > 0 ? `HTTP exchanges with Octavius (last ${log.length}):\n${log.join('\n')}` : 'no HTTP exchange was logged',
      serverLog.length > 0 ? `Octavius log (last ${serverLog.length} lines):\n${serverLog.join('\n')}` : '',
      result.stdout.trim() !== '' ? `stdout: ${clip(result.stdout.trim(), 2000)}` : '',
      // An API error is fully described by its line and the exchanges; anything else needs the trace.
      /\(HTTP \d+\)/.test(error) ? '' : traceback(result.stderr),
      result.code === null || result.timedOut ? `stderr tail:\n${result.stderr.split('\n').slice(-30).join('\n')}` : '',
    ]
      .filter((s) => s !== '')
      .join('\n');
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(...args: string[]): Promise<string> {
    const result = await this.run(args);
    if (result.code !== 0) throw new Error(this.describe(args, result, 'success'));
    return result.stdout;
  }

  /** Runs a command with `-f json` that must succeed; returns the parsed output. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON freely
  async json(...args: string[]): Promise<any> {
    const full = [...args, '-f', 'json'];
    const result = await this.run(full);
    if (result.code !== 0) throw new Error(this.describe(full, result, 'success'));
    try {
      return JSON.parse(result.stdout);
    } catch {
      throw new Error(this.describe(full, result, 'JSON on stdout'));
    }
  }

  /** Runs a command that must fail with an error line matching `pattern`; returns that line. */
  async fails(pattern: RegExp, ...args: string[]): Promise<string> {
    const result = await this.run(args);
    const line = errorLine(result.stderr);
    if (result.code === 0 || result.code === null || result.timedOut || !pattern.test(line)) {
      throw new Error(this.describe(args, result, `a failure whose message matches ${pattern}`));
    }
    return line;
  }
}

/** Formatted list columns (listeners, pools, members, tags, …) come out of `-f json` newline-joined. */
export function lines(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split('\n') : [];
}

/** `key=value` lines (session_persistence, insert_headers) as an object. */
export function pairs(value: unknown): Record<string, string> {
  return Object.fromEntries(lines(value).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * What `show` of a deleted object prints: the client's look-up finds nothing ("Unable to locate"),
 * or the 404 itself (octaviaclient prints "<id> not found (HTTP 404)" for those, not the faultstring).
 */
export const GONE = /Unable to locate .+ in |not found \(HTTP 404\)/;

/** What a CLI track gets: the client and the process it talks to. */
export interface CliContext {
  readonly cli: OpenstackCli;
  readonly octavius: OctaviusProcess;
}

/** GET on Octavius directly, for what the CLI does not show (the Neutron view) or cannot wait for. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON freely
export async function apiGet(octavius: OctaviusProcess, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${octavius.url}${path}`, { headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: res.status, body };
}

/** The object at `path` as Octavius returns it (for checks after set/unset that need no client). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON freely
export async function apiShow(octavius: OctaviusProcess, path: string, rootKey: string): Promise<any> {
  const res = await apiGet(octavius, path);
  if (res.status !== 200 || typeof res.body !== 'object' || res.body === null || !(rootKey in res.body)) {
    throw new Error(`GET ${path}: expected 200 with "${rootKey}", got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body[rootKey];
}

/** Asserts that `GET path` is a 404 (what a delete --wait waited for). */
export async function apiGone(octavius: OctaviusProcess, path: string): Promise<void> {
  const res = await apiGet(octavius, path);
  if (res.status !== 404) throw new Error(`GET ${path} after the delete: expected 404, got ${res.status} ${JSON.stringify(res.body)}`);
}

/** Polls `GET path` until `<rootKey>.provisioning_status` is ACTIVE (for commands whose --wait is broken). */
export async function waitActive(octavius: OctaviusProcess, path: string, rootKey: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await apiGet(octavius, path);
    if (res.status === 200 && res.body?.[rootKey]?.provisioning_status === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`GET ${path} did not show ACTIVE within ${timeoutMs} ms; last answer ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
