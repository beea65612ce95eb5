/**
 * The embedded defaults of `octavius up` without a configuration file: what a newcomer gets.
 *
 * As root: real load balancers on this host — netns amphorae, the local network driver with one
 * ready network `public` (198.18.0.0/24, gateway 198.18.0.1 held by the host, so member servers
 * can be ordinary processes listening there and `curl` reaches VIPs), the REST amphora driver.
 * Not as root: the noop drivers, and a notice that says why. As root the health manager listens on
 * the management network for the amphorae's heartbeats, with a key made at the first start.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigOverride } from '../config/load.js';

export const PUBLIC_NETWORK = {
  network: 'public',
  subnet: 'public-subnet',
  cidr: '198.18.0.0/24',
  gateway: '198.18.0.1',
  /** Low addresses stay free for the host's own use (member servers on the gateway, tests). */
  pool: '198.18.0.10-198.18.0.250',
} as const;

export interface EmbeddedDefaults {
  readonly overrides: readonly ConfigOverride[];
  /** One line for the user about the data plane chosen. */
  readonly notice: string;
}

/** The controller's address on the default management network ([netns] mgmt_cidr 198.19.0.1/16). */
const MGMT_ADDRESS = '198.19.0.1';

/**
 * The heartbeat key of this installation: made once and kept in the state directory, because
 * running amphorae keep sending with the key they were built with across controller restarts.
 */
export function heartbeatKey(statePath: string): string {
  const file = join(statePath, 'heartbeat_key');
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key !== '') return key;
  } catch {
    // first start
  }
  mkdirSync(statePath, { recursive: true, mode: 0o700 });
  const key = randomBytes(24).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export function embeddedDefaults(isRoot: boolean, statePath: string): EmbeddedDefaults {
  // noauth requests without a project act in project "demo", so that the openstack CLI (which
  // cannot send X-Project-Id) can create objects.
  const base: ConfigOverride[] = [{ group: 'api_settings', name: 'noauth_default_project', value: 'demo' }];
  if (!isRoot) {
    return {
      overrides: base,
      notice:
        'Not running as root: using the noop drivers (load balancers go ACTIVE but carry no traffic). ' +
        'Run `npm run up` as root for real amphorae (HAProxy in network namespaces) on network "public" (198.18.0.0/24).',
    };
  }
  const p = PUBLIC_NETWORK;
  return {
    overrides: [
      ...base,
      { group: 'controller_worker', name: 'compute_driver', value: 'compute_netns_driver' },
      { group: 'controller_worker', name: 'network_driver', value: 'network_local_driver' },
      { group: 'controller_worker', name: 'amphora_driver', value: 'amphora_haproxy_rest_driver' },
      { group: `network:${p.network}`, name: 'subnets', value: p.subnet },
      { group: `subnet:${p.subnet}`, name: 'cidr', value: p.cidr },
      { group: `subnet:${p.subnet}`, name: 'gateway', value: p.gateway },
      { group: `subnet:${p.subnet}`, name: 'allocation_pools', value: p.pool },
      // Heartbeats leave amphorae on the management network towards the controller's address there.
      { group: 'health_manager', name: 'bind_ip', value: MGMT_ADDRESS },
      { group: 'health_manager', name: 'controller_ip_port_list', value: `${MGMT_ADDRESS}:5555` },
      { group: 'health_manager', name: 'heartbeat_key', value: heartbeatKey(statePath) },
    ],
    notice: `Real amphorae: HAProxy in network namespaces on network "${p.network}" (${p.cidr}, this host is ${p.gateway}).`,
  };
}
