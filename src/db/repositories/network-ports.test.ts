/** The local network driver's PortStore on every engine: atomic multi-address ports, the unique address key. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, engines, type TestDatabase } from '../../../test/support/databases.js';
import { AddressInUseError, type PortRecord } from '../../drivers/network/port-store.js';
import { newId } from '../../lib/ids.js';
import { connectDatabase, type Db } from '../connect.js';
import { migrateToLatest } from '../migrate.js';
import { KyselyPortStore } from './network-ports.js';

const NET = newId();
const SUB4 = newId();
const SUB6 = newId();

function port(fixedIps: PortRecord['fixedIps'], extra: Partial<PortRecord> = {}): PortRecord {
  return {
    id: newId(),
    name: 'p',
    networkId: NET,
    macAddress: 'fa:16:3e:00:00:01',
    deviceId: 'lb-1',
    deviceOwner: 'Octavia',
    projectId: 'proj',
    createdAt: '2026-01-01T00:00:00',
    fixedIps,
    ...extra,
  };
}

for (const engine of engines()) {
  describe(`network ports on ${engine}`, () => {
    let database: TestDatabase;
    let db: Db;
    let store: KyselyPortStore;
    before(async () => {
      database = await createTestDatabase(engine);
      db = connectDatabase(database.url);
      await migrateToLatest(db.kysely as never);
      store = new KyselyPortStore(db.kysely);
    });
    after(async () => {
      await db?.close();
      await database?.drop();
    });

    test('a port with two addresses is written and read back whole; creating it again writes nothing', async () => {
      const p = port([
        { subnetId: SUB4, ipAddress: '198.18.1.10' },
        { subnetId: SUB6, ipAddress: 'fd00::10' },
      ]);
      assert.equal(await store.create(p), 'created');
      assert.deepEqual(await store.get(p.id), { ...p, fixedIps: [...p.fixedIps].sort((a, b) => a.subnetId.localeCompare(b.subnetId)) });
      assert.equal(await store.create({ ...p, name: 'other', fixedIps: [{ subnetId: SUB4, ipAddress: '198.18.1.11' }] }), 'exists');
      assert.equal((await store.get(p.id))!.name, 'p');
      assert.deepEqual((await store.usedAddresses(SUB4)).sort(), ['198.18.1.10']);
    });

    test('an address of another port is refused and nothing of the refused port is written', async () => {
      await store.create(port([{ subnetId: SUB4, ipAddress: '198.18.1.20' }]));
      const loser = port([
        { subnetId: SUB6, ipAddress: 'fd00::20' },
        { subnetId: SUB4, ipAddress: '198.18.1.20' },
      ]);
      await assert.rejects(store.create(loser), AddressInUseError);
      assert.equal(await store.get(loser.id), null);
      assert.ok(!(await store.usedAddresses(SUB6)).includes('fd00::20'));
    });

    test('of many concurrent creates of one address exactly one wins', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.create(port([{ subnetId: SUB4, ipAddress: '198.18.1.30' }]))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof AddressInUseError));
    });

    test('filters: ids, names, network, subnet (whole ports returned), device; an empty list matches nothing', async () => {
      const a = port([
        { subnetId: SUB4, ipAddress: '198.18.1.40' },
        { subnetId: SUB6, ipAddress: 'fd00::40' },
      ], { name: 'filter-a', deviceId: 'amp-a' });
      const b = port([{ subnetId: SUB4, ipAddress: '198.18.1.41' }], { name: 'filter-b', deviceId: 'amp-b', networkId: newId() });
      await store.create(a);
      await store.create(b);
      const ids = (ports: PortRecord[]) => ports.map((p) => p.id).sort();
      assert.deepEqual(ids(await store.list({ ids: [a.id, b.id] })), [a.id, b.id].sort());
      assert.deepEqual(ids(await store.list({ names: ['filter-b'] })), [b.id]);
      assert.deepEqual(ids(await store.list({ networkIds: [b.networkId] })), [b.id]);
      const bySubnet = await store.list({ subnetIds: [SUB6], deviceIds: ['amp-a'] });
      assert.deepEqual(ids(bySubnet), [a.id]);
      assert.equal(bySubnet[0]!.fixedIps.length, 2);
      assert.deepEqual(await store.list({ ids: [] }), []);
    });

    test('delete removes every address of a port and may be repeated', async () => {
      const p = port([
        { subnetId: SUB4, ipAddress: '198.18.1.50' },
        { subnetId: SUB6, ipAddress: 'fd00::50' },
      ]);
      await store.create(p);
      await store.delete(p.id);
      await store.delete(p.id);
      assert.equal(await store.get(p.id), null);
      assert.equal(await store.create(port([{ subnetId: SUB4, ipAddress: '198.18.1.50' }])), 'created');
    });
  });
}
