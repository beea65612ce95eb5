/**
 * The agent's HTTPS listener: mutual TLS with the amphora's server certificate (one PEM file with
 * certificate and key), client certificates required and checked against the controller CA, TLS
 * 1.2 at least. `PUT /1.0/certificate` swaps the certificate in the running listener
 * (setSecureContext): new connections use it, the process and its children are untouched.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type SecureVersion } from 'node:tls';
import { addAmphoraRoutes } from './amphora-routes.js';
import { writeAtomic } from './files.js';
import { HttpAbort, Router, werkzeugError, type AgentResponse } from './http.js';
import { addLoadBalancerRoutes } from './load-balancer-routes.js';
import type { AgentRuntime } from './runtime.js';

/** Larger bodies get 413 (a haproxy.cfg of thousands of members stays far below). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface AgentServer {
  readonly server: Server;
  address(): AddressInfo;
  close(): Promise<void>;
}

/** The certificates and the private key of a PEM bundle. */
export function splitPem(pem: string): { cert: string; key: string } {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const key = /-----BEGIN ((?:[A-Z]+ )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(pem)?.[0];
  if (certs.length === 0) throw new Error('no certificate in the PEM data');
  if (key === undefined) throw new Error('no private key in the PEM data');
  return { cert: `${certs.join('\n')}\n`, key: `${key}\n` };
}

export async function startAgentServer(rt: AgentRuntime, onConfigChanged: () => void): Promise<AgentServer> {
  const agent = rt.config.amphora_agent;
  const minVersion = agent.agent_tls_protocol as SecureVersion;
  const ca = readFileSync(agent.agent_server_ca, 'utf8');
  const identity = splitPem(readFileSync(agent.agent_server_cert, 'utf8'));
  const router = new Router();

  const server = createServer(
    { ...identity, ca, requestCert: true, rejectUnauthorized: true, minVersion },
    (req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        let size = 0;
        let response: AgentResponse | null = null;
        for await (const chunk of req as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            response = werkzeugError(413);
            break;
          }
          chunks.push(chunk);
        }
        const method = req.method ?? 'GET';
        const path = (req.url ?? '/').split('?')[0]!;
        if (response === null) {
          const resolved = router.resolve(method, path);
          if ('error' in resolved) response = resolved.error;
          else {
            try {
              response = await resolved.handler({ method, path, params: resolved.params, body: Buffer.concat(chunks) });
            } catch (err) {
              if (err instanceof HttpAbort) response = err.response;
              else {
                rt.log.error({ err, method, path }, 'request failed');
                response = werkzeugError(500);
              }
            }
          }
        }
        const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
        // gunicorn's sync worker closes every connection after its response; so do we.
        res.writeHead(response.status, {
          'Content-Type': response.contentType,
          'Content-Length': body.length,
          Connection: 'close',
          ...response.headers,
        });
        res.end(method === 'HEAD' ? undefined : body);
        rt.log.debug({ method, path, status: response.status }, 'request');
      })().catch((err: unknown) => {
        rt.log.error({ err }, 'cannot answer a request');
        res.destroy();
      });
    },
  );
  server.requestTimeout = agent.agent_request_read_timeout * 1000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);

  addAmphoraRoutes(router, rt, {
    async replaceServerCertificate(pem) {
      const next = splitPem(pem);
      // Throws when the key does not belong to the certificate or either cannot be parsed.
      createSecureContext({ ...next, minVersion });
      await writeAtomic(agent.agent_server_cert, pem, 0o600);
      server.setSecureContext({ ...next, ca, minVersion });
      rt.log.info('server certificate replaced');
    },
    configChanged: onConfigChanged,
  });
  addLoadBalancerRoutes(router, rt);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: rt.config.haproxy_amphora.bind_host, port: rt.config.haproxy_amphora.bind_port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: () => server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
