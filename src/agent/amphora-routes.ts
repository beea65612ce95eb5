/**
 * Amphora-wide endpoints of the agent API (spec §7.2, answers as §14): version discovery, info and
 * details, interface lookup, network plugging, VRRP, agent configuration and certificate rotation.
 */
import { AGENT_API_VERSION } from '../agent-api/contract.js';
import { isIpAddress } from '../lib/ip.js';
import { changedOptions, loadAgentConfig, MUTABLE_OPTIONS } from './config.js';
import { md5, writeAtomic } from './files.js';
import { HttpAbort, json, message, parseJsonBody, werkzeugError, type Router } from './http.js';
import { interfaceOf } from './ip.js';
import type { AgentRuntime } from './runtime.js';

export interface AmphoraRouteHooks {
  /** Checks a PEM (certificate and key) and makes it the server certificate; throws when unusable. */
  replaceServerCertificate(pem: string): Promise<void>;
  /** Applies the mutable options of a new configuration (log level). */
  configChanged(): void;
}

function jsonObject(body: Buffer, required: readonly string[], abortDescription: string): Record<string, unknown> {
  const value = parseJsonBody(body);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || required.some((k) => !(k in value))) {
    throw new HttpAbort(werkzeugError(400, abortDescription));
  }
  return value as Record<string, unknown>;
}

export function addAmphoraRoutes(router: Router, rt: AgentRuntime, hooks: AmphoraRouteHooks): void {
  const a = rt.amphora;

  router.add('GET', '/', () => json(200, { api_version: AGENT_API_VERSION }));
  router.add('GET', '/1.0/info', async () => json(200, await rt.info.info()));
  router.add('GET', '/1.0/details', async () => json(200, await rt.info.details()));

  router.add('GET', '/1.0/interface/<ip_addr>', async ({ params }) => {
    const address = params['ip_addr']!;
    if (!isIpAddress(address)) return message(400, 'Invalid IP address');
    const ifname = await interfaceOf(a, address);
    if (ifname === null) return message(404, 'Error interface not found for IP address');
    return json(200, { message: 'OK', interface: ifname });
  });

  router.add('POST', '/1.0/plug/vip/<vip>', ({ params, body }) => {
    const info = jsonObject(body, ['subnet_cidr', 'gateway', 'mac_address'], 'Invalid subnet information');
    return a.lock.run(() => rt.plug.plugVip(params['vip']!, info));
  });

  router.add('POST', '/1.0/plug/network', ({ body }) => {
    const info = jsonObject(body, ['mac_address'], 'Invalid port information');
    return a.lock.run(() => rt.plug.plugNetwork(info));
  });

  router.add('PUT', '/1.0/vrrp/upload', ({ body }) =>
    a.lock.run(async () => {
      await rt.keepalived.upload(body, rt.haproxy.runningPidFiles());
      return json(200, { message: 'OK' }, { ETag: md5(body) });
    }),
  );

  router.add('PUT', '/1.0/vrrp/<action>', ({ params }) =>
    a.lock.run(async () => {
      const action = params['action']!.toLowerCase();
      if (action !== 'start' && action !== 'stop' && action !== 'reload') {
        return message(400, 'Invalid Request', `Unknown action: ${action}`);
      }
      if (action === 'stop') {
        await rt.keepalived.stop();
        return message(202, 'OK', 'keepalived stoped');
      }
      // As upstream: start of a running keepalived is a reload. Ours: reload of a stopped one starts it.
      if (rt.keepalived.reload()) return message(202, 'OK', 'keepalived reloaded');
      const r = await rt.keepalived.start();
      if (!r.ok) return message(500, `Failed to ${action} octavia-keepalived service`, r.output);
      return message(202, 'OK', action === 'start' ? 'keepalived started' : 'keepalived reloaded');
    }),
  );

  router.add('PUT', '/1.0/config', ({ body }) =>
    a.lock.run(async () => {
      const file = rt.configFiles[0];
      const text = body.toString('utf8');
      try {
        if (file === undefined) throw new Error('the agent was started without a configuration file');
        const { config } = loadAgentConfig(rt.configFiles, new Map([[file, text]]));
        await writeAtomic(file, text, 0o600);
        const changed = changedOptions(rt.config, config);
        const fixed = changed.filter((o) => !(MUTABLE_OPTIONS as readonly string[]).includes(o));
        if (fixed.length > 0) rt.log.warn({ options: fixed }, 'changed options take effect when the agent restarts');
        // Only the mutable options change now; the others keep their running values.
        const next = structuredClone(rt.config) as unknown as Record<string, Record<string, unknown>>;
        for (const o of changed.filter((x) => !fixed.includes(x))) {
          const [group, name] = o.split('.') as [string, string];
          next[group]![name] = (config as unknown as Record<string, Record<string, unknown>>)[group]![name];
        }
        rt.config = next as unknown as typeof rt.config;
        hooks.configChanged();
      } catch (err) {
        rt.log.error({ err }, 'cannot update the agent configuration');
        return message(500, 'Unable to update amphora-agent configuration.', (err as Error).message);
      }
      return json(202, { message: 'OK' });
    }),
  );

  router.add('PUT', '/1.0/certificate', ({ body }) =>
    a.lock.run(async () => {
      try {
        await hooks.replaceServerCertificate(body.toString('utf8'));
      } catch (err) {
        // Upstream writes whatever it gets; a certificate the agent cannot serve would cut the
        // controller off for good, so it is refused instead.
        return message(400, 'Invalid request', `Unusable certificate: ${(err as Error).message}`);
      }
      return json(202, { message: 'OK' });
    }),
  );
}
