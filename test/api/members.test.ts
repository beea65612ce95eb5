/**
 * Member API: create/show/list/update/delete under a pool, the batch update of a pool's member
 * list, the validation rules with upstream's texts (reserved addresses, duplicates, subnets,
 * SR-IOV), the locks of spec §3.2 (on an API without a worker) and the statuses the worker reaches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NetworkFilter, NetworkInventory } from '../../src/domain/network.js';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const POOLS = '/v2/lbaas/pools';
const LISTENERS = '/v2/lbaas/listeners';
const MISSING = '5f0e3b7a-1c9d-4e58-9a7b-2d6c8e4f1a00';
const NO_SUCH_SUBNET = '0b5c4a1e-8d7f-4e2a-b3c9-1f2e3d4c5b6a';

type Api = TestApi;

async function created(api: Api, path: string, key: string, body: unknown, project = 'proj-members') {
  const res = await api.request('POST', path, { project, body: { [key]: body } });
  assert.equal(res.status, 201, res.text);
  return res.body[key];
}

async function markAllActive(api: Api, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.pools.setStatus(g.pools.map((p) => p.id), active);
  await api.store.members.setStatus(g.members.map((m) => m.id), active);
  await api.store.healthMonitors.setStatus(g.healthMonitors.map((h) => h.id), active);
}

/** A load balancer with an HTTP listener whose default pool is `pool`; everything ACTIVE. */
async function frozenPool(api: Api) {
  const lb = await created(api, LBS, 'loadbalancer', { vip_subnet_id: SUBNET });
  await markAllActive(api, lb.id);
  const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
  await markAllActive(api, lb.id);
  const pool = await created(api, POOLS, 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  await markAllActive(api, lb.id);
  return { lb, listener, pool };
}

async function activePool(api: Api, project = 'proj-members', extra: Record<string, unknown> = {}) {
  const lb = await createActiveLoadBalancer(api, project, extra);
  const pool = await created(api, POOLS, 'pool', { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, project);
  await api.settle();
  return { lb, pool };
}

async function status(api: Api, path: string, key: string): Promise<string> {
  const res = await api.request('GET', path);
  assert.equal(res.status, 200, res.text);
  return res.body[key].provisioning_status;
}

/** The deployment's network inventory, with some subnets that do not exist. */
class InventoryWithout implements NetworkInventory {
  constructor(
    private readonly inner: NetworkInventory,
    private readonly missing: ReadonlySet<string>,
  ) {}
  getNetwork(id: string) {
    return this.inner.getNetwork(id);
  }
  async getSubnet(id: string) {
    return this.missing.has(id) ? null : this.inner.getSubnet(id);
  }
  getPort(id: string) {
    return this.inner.getPort(id);
  }
  getQosPolicy(id: string) {
    return this.inner.getQosPolicy(id);
  }
  getSecurityGroup(id: string) {
    return this.inner.getSecurityGroup(id);
  }
  listNetworks(f: NetworkFilter) {
    return this.inner.listNetworks(f);
  }
  listSubnets(f: NetworkFilter) {
    return this.inner.listSubnets(f);
  }
  listPorts(f: NetworkFilter) {
    return this.inner.listPorts(f);
  }
  availableIps(subnetId: string) {
    return this.inner.availableIps(subnetId);
  }
  qosEnabled() {
    return this.inner.qosEnabled();
  }
}

for (const engine of engines()) {
  describe(`members (${engine})`, () => {
    let api: Api;
    let frozen: Api;
    before(async () => {
      const config = { networking: { reserved_ips: ['169.254.169.254', 'fd00::1'] } };
      api = await startTestApi({ engine, config });
      frozen = await startTestApi({ engine, config, worker: false });
      // The noop network knows every subnet; this deployment lacks one (the API reads deps.network per request).
      (api.deps as { network: NetworkInventory }).network = new InventoryWithout(api.deps.network, new Set([NO_SUCH_SUBNET]));
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create: 201 PENDING_CREATE/NO_MONITOR in upstream shape, then ACTIVE with the pool and load balancer', async () => {
      const { lb, pool } = await activePool(api);
      const res = await api.request('POST', `${POOLS}/${pool.id}/members`, {
        body: { member: { address: '10.0.0.1', protocol_port: 8080, name: 'm1', subnet_id: SUBNET, monitor_port: 9000, tags: ['x'] } },
      });
      assert.equal(res.status, 201, res.text);
      const m = res.body.member;
      assert.equal(m.provisioning_status, 'PENDING_CREATE');
      assert.equal(m.operating_status, 'NO_MONITOR');
      assert.equal(m.address, '10.0.0.1');
      assert.equal(m.protocol_port, 8080);
      assert.equal(m.weight, 1);
      assert.equal(m.backup, false);
      assert.equal(m.admin_state_up, true);
      assert.equal(m.subnet_id, SUBNET);
      assert.equal(m.monitor_port, 9000);
      assert.equal(m.monitor_address, null);
      assert.equal(m.vnic_type, 'normal');
      assert.equal(m.project_id, 'proj-members');
      assert.equal(m.tenant_id, 'proj-members');
      assert.deepEqual(m.tags, ['x']);
      assert.equal('pool_id' in m, false);
      await api.settle();
      assert.equal(await status(api, `${POOLS}/${pool.id}/members/${m.id}`, 'member'), 'ACTIVE');
      assert.equal(await status(api, `${POOLS}/${pool.id}`, 'pool'), 'ACTIVE');
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
      assert.deepEqual((await api.request('GET', `${POOLS}/${pool.id}`)).body.pool.members, [{ id: m.id }]);
    });

    test('create locks the pool, its listeners and the load balancer; a pool that is not ACTIVE refuses', async () => {
      const { lb, listener, pool } = await frozenPool(frozen);
      const m = await created(frozen, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.0.2', protocol_port: 80 });
      assert.equal(await status(frozen, `${POOLS}/${pool.id}`, 'pool'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LISTENERS}/${listener.id}`, 'listener'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'create_member');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [listener.id], poolId: pool.id, memberId: m.id });
      const poolBusy = await frozen.request('POST', `${POOLS}/${pool.id}/members`, { body: { member: { address: '10.0.0.3', protocol_port: 80 } } });
      assert.equal(poolBusy.status, 409);
      assert.equal(poolBusy.body.faultstring, `Pool ${pool.id} is immutable and cannot be updated.`);
      await frozen.store.pools.setStatus(pool.id, { provisioningStatus: 'ACTIVE' });
      const lbBusy = await frozen.request('POST', `${POOLS}/${pool.id}/members`, { body: { member: { address: '10.0.0.3', protocol_port: 80 } } });
      assert.equal(lbBusy.status, 409);
      assert.equal(lbBusy.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await frozen.store.members.forPool(pool.id)).length, 1, 'nothing written on 409');
    });

    test('a monitored pool gives new members operating status OFFLINE', async () => {
      const { pool } = await activePool(api, 'proj-hm-members');
      await created(api, '/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 });
      await api.settle();
      const m = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.0.4', protocol_port: 80 });
      assert.equal(m.operating_status, 'OFFLINE');
    });

    test('reserved addresses (IPv6 compared exploded), duplicates, missing subnets and null addresses are refused', async () => {
      const { pool } = await activePool(api, 'proj-rules');
      const post = (member: Record<string, unknown>) => api.request('POST', `${POOLS}/${pool.id}/members`, { body: { member } });
      const reserved = await post({ address: '169.254.169.254', protocol_port: 80 });
      assert.equal(reserved.status, 400);
      assert.equal(reserved.body.faultstring, '169.254.169.254 is not a valid option for member address');
      const reserved6 = await post({ address: 'fd00:0::1', protocol_port: 80 });
      assert.equal(reserved6.status, 400);
      assert.equal(reserved6.body.faultstring, 'FD00:0000:0000:0000:0000:0000:0000:0001 is not a valid option for member address');
      const subnet = await post({ address: '10.0.0.5', protocol_port: 80, subnet_id: NO_SUCH_SUBNET });
      assert.equal(subnet.status, 400);
      assert.equal(subnet.body.faultstring, `Subnet ${NO_SUCH_SUBNET} not found.`);
      const nullAddress = await post({ address: null, protocol_port: 80 });
      assert.equal(nullAddress.status, 400);
      assert.equal(nullAddress.body.faultstring, 'None is not a valid option for address');
      const sriov = await post({ address: '10.0.0.5', protocol_port: 80, request_sriov: true });
      assert.equal(sriov.status, 400);
      assert.equal(sriov.body.faultstring, 'The load balancer flavor does not allow SR-IOV member ports.');
      await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.0.5', protocol_port: 80 });
      await api.settle();
      const dup = await post({ address: '10.0.0.5', protocol_port: 80 });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.faultstring, 'Another member on this pool is already using ip 10.0.0.5 on protocol_port 80');
      const otherPort = await post({ address: '10.0.0.5', protocol_port: 81 });
      assert.equal(otherPort.status, 201, otherPort.text);
      const noPool = await api.request('POST', `${POOLS}/${MISSING}/members`, { body: { member: { address: '10.0.0.6', protocol_port: 80 } } });
      assert.equal(noPool.status, 404);
      assert.equal(noPool.body.faultstring, `Pool ${MISSING} not found.`);
    });

    test('request_sriov needs a flavor that allows member SR-IOV; then vnic_type is direct', async () => {
      const profile = await created(api, '/v2/lbaas/flavorprofiles', 'flavorprofile', {
        name: 'sriov',
        provider_name: 'amphora',
        flavor_data: '{"allow_member_sriov": true}',
      });
      const flavor = await created(api, '/v2/lbaas/flavors', 'flavor', { name: 'sriov-members', flavor_profile_id: profile.id });
      const { pool } = await activePool(api, 'proj-sriov', { flavor_id: flavor.id });
      const m = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.1.1', protocol_port: 80, request_sriov: true });
      assert.equal(m.vnic_type, 'direct');
      assert.equal('request_sriov' in m, false);
    });

    test('show and list are scoped to the pool in the URL', async () => {
      const { lb, pool } = await activePool(api, 'proj-show');
      const other = await created(api, POOLS, 'pool', { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' }, 'proj-show');
      await api.settle();
      const m1 = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.2.1', protocol_port: 80 });
      await api.settle();
      await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.2.2', protocol_port: 80, weight: 0 });
      await api.settle();
      const m3 = await created(api, `${POOLS}/${other.id}/members`, 'member', { address: '10.0.2.1', protocol_port: 80 });
      await api.settle();
      const wrongPool = await api.request('GET', `${POOLS}/${pool.id}/members/${m3.id}`);
      assert.equal(wrongPool.status, 404);
      assert.equal(wrongPool.body.faultstring, `Member ${m3.id} not found.`);
      const list = await api.request('GET', `${POOLS}/${pool.id}/members`);
      assert.equal(list.status, 200);
      assert.equal(list.body.members.length, 2);
      assert.deepEqual(list.body.members_links, []);
      const byAddress = await api.request('GET', `${POOLS}/${pool.id}/members?address=10.0.2.1&fields=id`);
      assert.deepEqual(byAddress.body.members, [{ id: m1.id }]);
      const drained = await api.request('GET', `${POOLS}/${pool.id}/members?weight=0`);
      assert.deepEqual(drained.body.members.map((m: { address: string }) => m.address), ['10.0.2.2']);
      const missingPool = await api.request('GET', `${POOLS}/${MISSING}/members`);
      assert.equal(missingPool.status, 404);
      assert.equal(missingPool.body.faultstring, `Pool ${MISSING} not found.`);
    });

    test('update: null weight and backup go back to their defaults; address is immutable; delete: PENDING_DELETE then gone', async () => {
      const { pool } = await activePool(api, 'proj-put');
      const m = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.3.1', protocol_port: 80, weight: 7, backup: true, name: 'n' });
      await api.settle();
      const path = `${POOLS}/${pool.id}/members/${m.id}`;
      const res = await api.request('PUT', path, { body: { member: { weight: null, backup: null, name: null, monitor_address: '10.9.9.9' } } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.member.provisioning_status, 'PENDING_UPDATE');
      assert.equal(res.body.member.weight, 1);
      assert.equal(res.body.member.backup, false);
      assert.equal(res.body.member.name, '');
      assert.equal(res.body.member.monitor_address, '10.9.9.9');
      await api.settle();
      assert.equal(await status(api, path, 'member'), 'ACTIVE');
      const address = await api.request('PUT', path, { body: { member: { address: '10.0.3.2' } } });
      assert.equal(address.status, 400);
      assert.equal(address.body.faultstring, 'Unknown attribute for argument member_.member: address');
      const del = await api.request('DELETE', path);
      assert.equal(del.status, 204);
      await api.settle();
      assert.equal((await api.request('GET', path)).status, 404);
      assert.equal(await status(api, `${POOLS}/${pool.id}`, 'pool'), 'ACTIVE');
    });

    test('delete locks the pool and marks the member PENDING_DELETE', async () => {
      const { lb, listener, pool } = await frozenPool(frozen);
      const m = await created(frozen, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.4.1', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      const del = await frozen.request('DELETE', `${POOLS}/${pool.id}/members/${m.id}`);
      assert.equal(del.status, 204);
      assert.equal(await status(frozen, `${POOLS}/${pool.id}/members/${m.id}`, 'member'), 'PENDING_DELETE');
      assert.equal(await status(frozen, `${POOLS}/${pool.id}`, 'pool'), 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'delete_member');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [listener.id], poolId: pool.id, memberId: m.id });
    });

    test('batch update: matched members updated (defaults written), new ones created, missing ones deleted; 202 without body', async () => {
      const { lb, listener, pool } = await frozenPool(frozen);
      const members = `${POOLS}/${pool.id}/members`;
      const a = await created(frozen, members, 'member', { address: '10.0.5.1', protocol_port: 80, weight: 5, name: 'a' });
      await markAllActive(frozen, lb.id);
      const b = await created(frozen, members, 'member', { address: '10.0.5.2', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      const res = await frozen.request('PUT', members, {
        body: { members: [{ address: '10.0.5.1', protocol_port: 80 }, { address: '10.0.5.3', protocol_port: 80, name: 'c' }] },
      });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.text, '');
      const rows = await frozen.store.members.forPool(pool.id);
      const byAddress = new Map(rows.map((m) => [m.address, m]));
      assert.equal(byAddress.get('10.0.5.1')?.provisioningStatus, 'PENDING_UPDATE');
      assert.equal(byAddress.get('10.0.5.1')?.weight, 1, 'an entry without weight writes the default');
      assert.equal(byAddress.get('10.0.5.1')?.name, 'a', 'attributes absent from the entry stay');
      assert.equal(byAddress.get('10.0.5.2')?.provisioningStatus, 'PENDING_DELETE');
      const c = byAddress.get('10.0.5.3')!;
      assert.equal(c.provisioningStatus, 'PENDING_CREATE');
      assert.equal(c.operatingStatus, 'NO_MONITOR');
      assert.equal(await status(frozen, `${POOLS}/${pool.id}`, 'pool'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LISTENERS}/${listener.id}`, 'listener'), 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'batch_update_members');
      assert.deepEqual(job?.payload, {
        loadBalancerId: lb.id,
        listenerIds: [listener.id],
        poolId: pool.id,
        created: [c.id],
        updated: [a.id],
        deleted: [b.id],
      });
    });

    test('batch update with the worker: the pool ends with exactly the requested members, ACTIVE', async () => {
      const { lb, pool } = await activePool(api, 'proj-batch');
      const members = `${POOLS}/${pool.id}/members`;
      await created(api, members, 'member', { address: '10.0.6.1', protocol_port: 80 });
      await api.settle();
      const res = await api.request('PUT', members, {
        body: { members: [{ address: '10.0.6.2', protocol_port: 80 }, { address: '10.0.6.3', protocol_port: 443 }] },
      });
      assert.equal(res.status, 202);
      await api.settle();
      const list = (await api.request('GET', members)).body.members;
      assert.deepEqual(list.map((m: { address: string; protocol_port: number }) => `${m.address}:${m.protocol_port}`).sort(), ['10.0.6.2:80', '10.0.6.3:443']);
      assert.ok(list.every((m: { provisioning_status: string }) => m.provisioning_status === 'ACTIVE'));
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');

      const additive = await api.request('PUT', `${members}?additive_only=true`, { body: { members: [{ address: '10.0.6.4', protocol_port: 80 }] } });
      assert.equal(additive.status, 202, additive.text);
      await api.settle();
      const after = (await api.request('GET', members)).body.members;
      assert.equal(after.length, 3, 'additive_only keeps the members not listed');
    });

    test('batch update: the same member twice is refused, an empty request on an empty pool does nothing, a missing list is 400', async () => {
      const { lb, pool } = await frozenPool(frozen);
      const members = `${POOLS}/${pool.id}/members`;
      await created(frozen, members, 'member', { address: '10.0.7.1', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      const twice = await frozen.request('PUT', members, {
        body: { members: [{ address: '10.0.7.1', protocol_port: 80 }, { address: '10.0.7.1', protocol_port: 80, weight: 3 }] },
      });
      assert.equal(twice.status, 400);
      assert.equal(twice.body.faultstring, 'Validation failure: Member must be updated only once in the same request.');
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE', 'rolled back');
      const reserved = await frozen.request('PUT', members, { body: { members: [{ address: '169.254.169.254', protocol_port: 80 }] } });
      assert.equal(reserved.status, 400);
      assert.equal(reserved.body.faultstring, '169.254.169.254 is not a valid option for member address');

      const empty = await frozenPool(frozen);
      const jobsBefore = (await frozen.store.jobs.forResource(empty.lb.id)).length;
      const noop = await frozen.request('PUT', `${POOLS}/${empty.pool.id}/members`, { body: { members: [] } });
      assert.equal(noop.status, 202);
      assert.equal(await status(frozen, `${LBS}/${empty.lb.id}`, 'loadbalancer'), 'ACTIVE', 'nothing to do: no lock taken');
      assert.equal(await status(frozen, `${POOLS}/${empty.pool.id}`, 'pool'), 'ACTIVE');
      assert.equal((await frozen.store.jobs.forResource(empty.lb.id)).length, jobsBefore);
      const noList = await frozen.request('PUT', `${POOLS}/${empty.pool.id}/members`, { body: {} });
      assert.equal(noList.status, 400);
      assert.equal(noList.body.faultstring, 'Validation failure: No members object supplied.');
    });
  });
}
