/** What the API needs, handed in by the composition root (cli/compose.ts). */
import type { Config } from '../config/config.js';
import type { LoadBalancer } from '../domain/load-balancer.js';
import type { NetworkInventory } from '../domain/network.js';
import type { CertManager } from '../drivers/certs/cert-manager.js';
import type { VipAllocation } from '../drivers/network/network-driver.js';
import type { Store } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ProviderDriver } from '../providers/provider-driver.js';
import type { Authenticator, Authorizer } from './auth.js';

export interface ApiDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** Enabled providers by name (aliases map to the same driver). */
  readonly providers: ReadonlyMap<string, ProviderDriver>;
  readonly network: NetworkInventory;
  /** Resolves TLS container references of listeners and pools. */
  readonly certificates: CertManager;
  readonly config: Pick<Config, 'api_settings' | 'networking' | 'haproxy_amphora' | 'controller_worker' | 'quotas' | 'oslo_middleware'>;
  /**
   * VIP ports: allocated while the load balancer is created, so that the create response carries
   * the address (upstream's create_vip_port). Both are idempotent per load balancer id.
   */
  readonly vips: {
    allocate(lb: LoadBalancer): Promise<VipAllocation>;
    deallocate(lb: LoadBalancer): Promise<void>;
  };
  /** Called after a transaction that enqueued jobs commits (wakes an in-process worker). */
  readonly jobsEnqueued: () => void;
  /** Version of Octavius, for the version document. */
  readonly version?: string;
}
