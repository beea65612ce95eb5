import { stableId } from '../../lib/ids.js';
import { amphoraWith, networkDriverConformance } from './network-driver.conformance.js';
import { NoopNetworkDriver } from './noop-network-driver.js';

for (const delayMs of [0, 5]) {
  networkDriverConformance({
    name: delayMs === 0 ? 'noop' : 'noop with delay',
    create: async () => ({
      driver: new NoopNetworkDriver({ delayMs }),
      vipSubnetId: stableId('conformance', 'vip-subnet'),
      memberSubnetId: stableId('conformance', 'member-subnet'),
      amphora: async () => amphoraWith('noop-instance'),
    }),
  });
}
