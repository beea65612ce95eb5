/**
 * HTTPS client of the amphora agent API 1.0 (spec §7.1): mutual TLS with the controller's client
 * certificate, the agent's certificate verified against the server CA *and* required to name the
 * amphora id (not its address), upstream's user agent, timeouts and retries. Used by the REST
 * amphora driver; knows nothing of load balancers.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import type { Amphora } from '../../domain/amphora.js';
import { DomainError } from '../../domain/errors.js';
import { sleep } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { CertGenerator } from '../certs/cert-generator.js';

export interface AgentClientSettings {
  /** `[haproxy_amphora] bind_port` of the agents. */
  readonly port: number;
  /** `[haproxy_amphora] rest_request_conn_timeout` / `rest_request_read_timeout`, in ms. */
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** `[haproxy_amphora] connection_max_retries` / `connection_retry_interval` (ms). */
  readonly maxRetries: number;
  readonly retryIntervalMs: number;
  /** `[haproxy_amphora] lb_network_interface`: the zone of IPv6 link-local agent addresses. */
  readonly lbNetworkInterface: string;
}

export interface AgentReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface AgentRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path after the host, e.g. `/` or `/1.0/info`. */
  readonly path: string;
  readonly body?: string | Buffer;
  readonly json?: unknown;
  /** Override of the retry policy for this call (waitForConnectivity makes single attempts). */
  readonly attempts?: number;
  readonly connectTimeoutMs?: number;
}

export const USER_AGENT = 'Octavia HaProxy Rest Client/1.0 (https://wiki.openstack.org/wiki/Octavia)';

/** The agent's certificate names another amphora (or none): never retried. */
export class IdentityMismatch extends Error {}

/** Upstream treats these 404s as "agent (or its network) not up yet" and retries them. */
function notReady(reply: AgentReply): boolean {
  if (reply.status !== 404) return false;
  if (!(reply.headers['content-type'] ?? '').includes('application/json')) return true;
  try {
    const details = (JSON.parse(reply.text) as { details?: unknown }).details;
    return typeof details === 'string' && details.includes('No suitable network interface found');
  } catch {
    return false;
  }
}

export class AgentClient {
  readonly #certs: CertGenerator;
  readonly #settings: AgentClientSettings;
  readonly #log: Logger;

  constructor(certs: CertGenerator, settings: AgentClientSettings, log: Logger) {
    this.#certs = certs;
    this.#settings = settings;
    this.#log = log;
  }

  baseUrl(amphora: Pick<Amphora, 'id' | 'lbNetworkIp'>): string {
    const ip = amphora.lbNetworkIp;
    if (ip === null) throw new DomainError('driver_error', `Amphora ${amphora.id} has no management address`);
    let host = ip;
    if (ip.includes(':')) host = /^fe[89ab]/i.test(ip) ? `[${ip}%${this.#settings.lbNetworkInterface}]` : `[${ip}]`;
    return `https://${host}:${this.#settings.port}`;
  }

  /**
   * Sends a request, retrying connection failures and not-ready 404s (upstream's policy). Answers
   * any status; throws DomainError('driver_error') when the agent cannot be reached (retryable)
   * or its identity is wrong (not retryable).
   */
  async send(amphora: Pick<Amphora, 'id' | 'lbNetworkIp'>, req: AgentRequest): Promise<AgentReply> {
    const attempts = req.attempts ?? this.#settings.maxRetries;
    let lastError: unknown = null;
    for (let i = 0; i < attempts; i++) {
      try {
        const reply = await this.#once(amphora, req);
        if (!notReady(reply)) return reply;
        lastError = new Error(`agent answered 404 (not ready): ${reply.text.slice(0, 200)}`);
      } catch (err) {
        if (err instanceof IdentityMismatch) {
          throw new DomainError('driver_error', `Amphora ${amphora.id} presented a certificate of another identity`, {
            operatorMessage: `${req.method} ${req.path} on amphora ${amphora.id} (${amphora.lbNetworkIp}): ${err.message}`,
            retryable: false,
            cause: err,
          });
        }
        lastError = err;
      }
      this.#log.debug({ amphoraId: amphora.id, path: req.path, err: lastError }, 'amphora agent not reachable; retrying');
      if (i < attempts - 1) await sleep(this.#settings.retryIntervalMs);
    }
    throw new DomainError('driver_error', `Amphora ${amphora.id} is unreachable`, {
      operatorMessage: `${req.method} ${req.path} on amphora ${amphora.id} (${amphora.lbNetworkIp}): ${attempts} attempts failed: ${(lastError as Error | null)?.message ?? 'no attempt made'}`,
      retryable: true,
      cause: lastError,
    });
  }

  async #once(amphora: Pick<Amphora, 'id' | 'lbNetworkIp'>, req: AgentRequest): Promise<AgentReply> {
    const [client, ca] = await Promise.all([this.#certs.controllerCertificate(), this.#certs.serverCaPem()]);
    let mismatch: Error | null = null;
    // One dispatcher per request: the identity to check is the amphora's, and agents close every
    // connection after their answer anyway.
    const dispatcher = new Agent({
      connect: {
        ca,
        cert: client.certificatePem,
        key: client.privateKeyPem,
        minVersion: 'TLSv1.2',
        servername: amphora.id,
        timeout: req.connectTimeoutMs ?? this.#settings.connectTimeoutMs,
        checkServerIdentity: (_host: string, cert: PeerCertificate) => {
          const err = checkServerIdentity(amphora.id, cert);
          if (err) mismatch = err;
          return err;
        },
      },
      headersTimeout: this.#settings.readTimeoutMs,
      bodyTimeout: this.#settings.readTimeoutMs,
    });
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    let body: string | Buffer | undefined = req.body;
    if (req.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    try {
      const res = await request(`${this.baseUrl(amphora)}${req.path}`, { method: req.method, headers, body: body ?? null, dispatcher });
      const text = await res.body.text();
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers: flat, text };
    } catch (err) {
      if (mismatch !== null) throw new IdentityMismatch((mismatch as Error).message);
      throw err;
    } finally {
      void dispatcher.destroy().catch(() => undefined);
    }
  }
}

/** The reply's JSON body, or a driver error naming what was expected. */
export function replyJson<T>(reply: AgentReply, what: string): T {
  try {
    return JSON.parse(reply.text) as T;
  } catch (err) {
    throw new DomainError('driver_error', `Amphora agent sent an unreadable ${what}`, { cause: err });
  }
}
