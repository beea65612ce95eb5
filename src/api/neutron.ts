/**
 * A read-only Neutron-compatible view of the networks Octavius knows (/v2.0/networks, subnets,
 * ports, qos/policies, security-groups), and in noauth mode answers to Keystone project look-ups.
 * The openstack CLI resolves --vip-subnet-id, member --subnet-id and --project through these at its
 * endpoint; with this view no separate fake service is needed.
 */
import type { Network, NetworkFilter, Port, Subnet } from '../domain/network.js';
import { Errors } from '../domain/errors.js';
import type { ApiDeps } from './deps.js';
import type { ApiRequest, Router } from './router.js';

const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function filterOf(req: ApiRequest): NetworkFilter {
  return {
    ...(req.query['id'] !== undefined ? { id: all(req.query['id']) } : {}),
    ...(req.query['name'] !== undefined ? { name: all(req.query['name']) } : {}),
    ...(req.query['network_id'] !== undefined ? { networkId: all(req.query['network_id']) } : {}),
  };
}

function networkJson(n: Network): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.projectId ?? '',
    project_id: n.projectId ?? '',
    subnets: [...n.subnetIds],
    admin_state_up: n.adminStateUp,
    status: 'ACTIVE',
    shared: n.shared,
    mtu: n.mtu,
    port_security_enabled: n.portSecurityEnabled,
    'router:external': n.external,
  };
}

function subnetJson(s: Subnet): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    network_id: s.networkId,
    tenant_id: s.projectId ?? '',
    project_id: s.projectId ?? '',
    cidr: s.cidr,
    ip_version: s.ipVersion,
    gateway_ip: s.gatewayIp,
    host_routes: s.hostRoutes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })),
    enable_dhcp: s.enableDhcp,
    dns_nameservers: [],
  };
}

function portJson(p: Port): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    network_id: p.networkId,
    tenant_id: p.projectId ?? '',
    project_id: p.projectId ?? '',
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    mac_address: p.macAddress,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    qos_policy_id: p.qosPolicyId,
    security_groups: [...p.securityGroupIds],
    admin_state_up: p.adminStateUp,
    status: 'ACTIVE',
  };
}

/** Neutron's own 404 body shape. */
function neutronNotFound(kind: string, id: string) {
  const type = `${kind[0]!.toUpperCase()}${kind.slice(1)}NotFound`;
  return {
    status: 404,
    body: { NeutronError: { type, message: `${kind[0]!.toUpperCase()}${kind.slice(1)} ${id} could not be found.`, detail: '' } },
  };
}

export function registerNeutronView(r: Router, deps: ApiDeps): void {
  const mount = { prefixes: ['/v2.0'] };
  const net = deps.network;
  r.add({ method: 'GET', path: '/networks', summary: 'Neutron view: networks', handler: async (req) => ({ status: 200, body: { networks: (await net.listNetworks(filterOf(req))).map(networkJson) } }) }, mount);
  r.add({
    method: 'GET',
    path: '/networks/:id',
    summary: 'Neutron view: one network',
    handler: async (req) => {
      const n = await net.getNetwork(req.params['id']!);
      return n ? { status: 200, body: { network: networkJson(n) } } : neutronNotFound('network', req.params['id']!);
    },
  }, mount);
  r.add({ method: 'GET', path: '/subnets', summary: 'Neutron view: subnets', handler: async (req) => ({ status: 200, body: { subnets: (await net.listSubnets(filterOf(req))).map(subnetJson) } }) }, mount);
  r.add({
    method: 'GET',
    path: '/subnets/:id',
    summary: 'Neutron view: one subnet',
    handler: async (req) => {
      const s = await net.getSubnet(req.params['id']!);
      return s ? { status: 200, body: { subnet: subnetJson(s) } } : neutronNotFound('subnet', req.params['id']!);
    },
  }, mount);
  r.add({ method: 'GET', path: '/ports', summary: 'Neutron view: ports', handler: async (req) => ({ status: 200, body: { ports: (await net.listPorts(filterOf(req))).map(portJson) } }) }, mount);
  r.add({
    method: 'GET',
    path: '/ports/:id',
    summary: 'Neutron view: one port',
    handler: async (req) => {
      const p = await net.getPort(req.params['id']!);
      return p ? { status: 200, body: { port: portJson(p) } } : neutronNotFound('port', req.params['id']!);
    },
  }, mount);
  r.add({
    method: 'GET',
    path: '/qos/policies',
    summary: 'Neutron view: QoS policies',
    handler: async (req) => {
      const ids = all(req.query['id']);
      const found = [];
      for (const id of ids) {
        const q = await net.getQosPolicy(id);
        if (q) found.push({ id: q.id, name: '' });
      }
      return { status: 200, body: { policies: found } };
    },
  }, mount);
  r.add({
    method: 'GET',
    path: '/security-groups',
    summary: 'Neutron view: security groups',
    handler: async (req) => {
      const found = [];
      for (const id of all(req.query['id'])) {
        const sg = await net.getSecurityGroup(id);
        if (sg) found.push({ id: sg.id, name: '' });
      }
      return { status: 200, body: { security_groups: found } };
    },
  }, mount);
}

/**
 * noauth only: project look-ups of the openstack CLI (`GET /projects/<x>` at its endpoint, with or
 * without /v3). Without Keystone a project is just its id, so the answer names the project given.
 */
export function registerNoauthIdentity(r: Router, deps: ApiDeps): void {
  if (deps.config.api_settings.auth_strategy !== 'noauth') return;
  const mount = { prefixes: ['', '/v3'] };
  r.add({
    method: 'GET',
    path: '/projects/:id',
    summary: 'noauth: a project is its id',
    handler: async (req) => ({ status: 200, body: { project: { id: req.params['id'], name: req.params['id'], domain_id: 'default', enabled: true } } }),
  }, mount);
  r.add({
    method: 'GET',
    path: '/projects',
    summary: 'noauth: projects by name',
    handler: async (req) => {
      const name = all(req.query['name'])[0];
      if (!name) throw Errors.policyForbidden();
      return { status: 200, body: { projects: [{ id: name, name, domain_id: 'default', enabled: true }] } };
    },
  }, mount);
}
