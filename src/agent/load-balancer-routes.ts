/**
 * Load balancer endpoints of the agent API (spec §7.2, answers as §14): HAProxy configuration
 * upload and download, start/stop/reload, listener status and deletion, TLS material.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from './agent-amphora.js';
import { SAFE_ID } from './config.js';
import { md5, readIfExists, writeAtomic } from './files.js';
import { announceAddresses } from './ip.js';
import { HttpAbort, json, message, type AgentResponse, type Router } from './http.js';
import type { AgentRuntime } from './runtime.js';

function lbNotFound(lbId: string): AgentResponse {
  return message(404, 'Loadbalancer Not Found', `No loadbalancer with UUID: ${lbId}`);
}

/**
 * Upstream accepts names where `(\w.)+pem` matches anywhere; on top of that, a name must stay a
 * plain file name in the load balancer's directory.
 */
function checkCertFilename(filename: string): void {
  const plain = !filename.includes('/') && !filename.includes('\0') && !filename.startsWith('.') && filename.length <= 255;
  if (!plain || !/(\w.)+pem/.test(filename)) throw new HttpAbort(message(400, 'Filename has wrong format'));
}

function checkLbId(lbId: string): void {
  if (!SAFE_ID.test(lbId)) throw new HttpAbort(message(400, 'Invalid request', `Invalid load balancer ID: ${lbId}`));
}

export function addLoadBalancerRoutes(router: Router, rt: AgentRuntime): void {
  const a = rt.amphora;

  router.add('PUT', '/1.0/loadbalancer/<amphora_id>/<lb_id>/haproxy', ({ params, body }) =>
    a.lock.run(async () => {
      checkLbId(params['lb_id']!);
      const result = await rt.haproxy.upload(params['lb_id']!, body.toString('utf8'));
      if (!result.ok) return message(400, 'Invalid request', result.output);
      return json(202, { message: 'OK' }, { ETag: md5(body) });
    }),
  );

  router.add('GET', '/1.0/loadbalancer/<lb_id>/haproxy', ({ params }) => {
    const lbId = params['lb_id']!;
    const text = rt.haproxy.exists(lbId) ? readIfExists(paths.haproxyConfig(a, lbId)) : null;
    if (text === null) return lbNotFound(lbId);
    return { status: 200, body: text, contentType: 'text/plain; charset=UTF-8', headers: { ETag: md5(text) } };
  });

  router.add('PUT', '/1.0/loadbalancer/<object_id>/<action>', ({ params }) =>
    a.lock.run(async () => {
      const lbId = params['object_id']!;
      const action = params['action']!.toLowerCase();
      if (action !== 'start' && action !== 'stop' && action !== 'reload') {
        return message(400, 'Invalid Request', `Unknown action: ${action}`);
      }
      if (!rt.haproxy.exists(lbId)) return lbNotFound(lbId);
      if (action === 'stop') {
        await rt.haproxy.stop(lbId);
        return message(202, 'OK', `Listener ${lbId} stoped`);
      }
      const result = action === 'start' ? { ...(await rt.haproxy.start(lbId)), started: true } : await rt.haproxy.reload(lbId);
      const verb = result.started ? 'start' : 'reload';
      if (!result.ok) return message(500, `Error ${verb}ing haproxy`, result.output);
      // keepalived announces the VIP in ACTIVE_STANDBY; otherwise this amphora does when HAProxy
      // starts (a new amphora, a failover: neighbours still cache another MAC for the VIP; see
      // announceAddresses). A reload changes no address. Not awaited: the controller's flow does
      // not wait for the announcement (~5 process starts).
      if (result.started && rt.config.controller_worker.loadbalancer_topology !== 'ACTIVE_STANDBY') {
        void announceAddresses(a).then(
          (problems) => problems.length > 0 && rt.log.warn({ lbId, problems }, 'address announcement failed'),
          (err: unknown) => rt.log.warn({ lbId, err }, 'address announcement failed'),
        );
      }
      if (result.started) return message(202, 'OK', `Configuration file is valid\nhaproxy daemon for ${lbId} started`);
      return message(202, 'OK', `Listener ${lbId} reloaded`);
    }),
  );

  router.add('DELETE', '/1.0/listeners/<object_id>', ({ params }) =>
    a.lock.run(async () => {
      const lbId = params['object_id']!;
      if (rt.haproxy.exists(lbId)) await rt.haproxy.delete(lbId);
      return json(200, { message: 'OK' });
    }),
  );

  router.add('GET', '/1.0/listeners', () =>
    json(
      200,
      rt.haproxy.listeners().flatMap(({ listeners }) => listeners.map((l) => ({ status: 'ACTIVE', uuid: l.id, type: l.type }))),
    ),
  );

  // UDP and SCTP listeners need IPVS, which this kernel does not have (dataplane.md §6).
  router.add('PUT', '/1.0/listeners/<amphora_id>/<listener_id>/udp_listener', () =>
    message(400, 'Invalid request', 'UDP and SCTP listeners are not supported by this amphora'),
  );
  router.add('GET', '/1.0/listeners/<listener_id>/udp_listener', ({ params }) =>
    message(404, 'UDP Listener Not Found', `No UDP listener with UUID: ${params['listener_id']}`),
  );

  const certPath = (lbId: string, filename: string): string => join(paths.lbCertDir(a, lbId), filename);

  router.add('PUT', '/1.0/loadbalancer/<lb_id>/certificates/<filename>', ({ params, body }) =>
    a.lock.run(async () => {
      const { lb_id: lbId, filename } = params as { lb_id: string; filename: string };
      checkCertFilename(filename);
      checkLbId(lbId);
      const file = certPath(lbId, filename);
      const sum = md5(body);
      const before = existsSync(file) ? md5(readFileSync(file)) : null;
      await writeAtomic(file, body, 0o600);
      if (before !== sum) rt.haproxy.materialChanged(lbId);
      return json(200, { message: 'OK' }, { ETag: sum });
    }),
  );

  router.add('GET', '/1.0/loadbalancer/<lb_id>/certificates/<filename>', ({ params }) => {
    const { lb_id: lbId, filename } = params as { lb_id: string; filename: string };
    checkCertFilename(filename);
    const file = SAFE_ID.test(lbId) ? certPath(lbId, filename) : null;
    if (file === null || !existsSync(file)) {
      return message(404, 'Certificate Not Found', `No certificate with filename: ${filename}`);
    }
    const sum = md5(readFileSync(file));
    return json(200, { md5sum: sum }, { ETag: sum });
  });

  router.add('DELETE', '/1.0/loadbalancer/<lb_id>/certificates/<filename>', ({ params }) =>
    a.lock.run(async () => {
      const { lb_id: lbId, filename } = params as { lb_id: string; filename: string };
      checkCertFilename(filename);
      if (SAFE_ID.test(lbId) && existsSync(certPath(lbId, filename))) {
        await rm(certPath(lbId, filename), { force: true });
        rt.haproxy.materialChanged(lbId);
      }
      return json(200, { message: 'OK' });
    }),
  );
}
