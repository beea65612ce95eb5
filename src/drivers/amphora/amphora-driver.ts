/**
 * Amphora drivers configure amphorae: upstream's amphora_haproxy_rest_driver speaks the agent API
 * 1.0 over mutual TLS (issue 3); amphora_noop_driver accepts everything. Calls are idempotent: a
 * task re-run after a crash repeats them.
 */
import type { Amphora } from '../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Subnet } from '../../domain/network.js';
import type { AmphoraVipPlug, PluggedPort } from '../network/network-driver.js';

export interface AmphoraDriver {
  /**
   * True when amphorae need a server certificate at boot (the agent's mutual TLS). Upstream only
   * generates the server PEM for the REST driver; the noop driver needs no PKI at all.
   */
  readonly requiresServerCertificate: boolean;
  /** Waits until the amphora's agent answers; throws DomainError('driver_error', retryable) on timeout. */
  waitForConnectivity(amphora: Amphora, timeoutMs: number): Promise<void>;
  /** Last configuration step of a new amphora before it is allocated. */
  finalize(amphora: Amphora): Promise<void>;
  /** Configures the VIP on the amphora after the network driver plugged its port. */
  postVipPlug(amphora: Amphora, loadBalancer: LoadBalancer, plug: AmphoraVipPlug): Promise<void>;
  /** Configures an interface the network driver plugged for a member network. */
  postNetworkPlug(amphora: Amphora, port: PluggedPort): Promise<void>;
  /** Renders the load balancer's listeners for this amphora, uploads them and reloads HAProxy. */
  updateListeners(graph: LoadBalancerGraph, amphora: Amphora): Promise<void>;
  /** Removes every listener of the load balancer from the amphora (last listener deleted). */
  deleteListeners(loadBalancer: LoadBalancer, amphora: Amphora): Promise<void>;
  /** Pushes a freshly rendered agent configuration (`PUT /1.0/config`). */
  updateAgentConfig(amphora: Amphora): Promise<void>;
  /** Replaces the agent's server certificate (`PUT /1.0/certificate`, rotation). */
  updateServerCertificate(amphora: Amphora, pem: string): Promise<void>;

  // VRRP (ACTIVE_STANDBY only, spec §6.3 VRRP sub-flow, §7.4). The driver never writes the
  // database: the flow stores what these return.

  /**
   * The interface on the amphora that holds its vrrp_ip (upstream's get_interface_from_ip); null
   * for an amphora without a vrrp_ip (and always from the noop driver). DomainError('driver_error')
   * when no interface holds the address. Read-only.
   */
  getVrrpInterface(amphora: Amphora): Promise<string | null>;
  /**
   * Renders keepalived for `amphora` from the load balancer's ALLOCATED amphorae and the VIP
   * subnets, and uploads it (`PUT /1.0/vrrp/upload`); does not reload. When nothing can be rendered
   * (a lone amphora whose peer is not ALLOCATED yet) the amphora keeps its current configuration:
   * that is logged, not thrown. Idempotent.
   */
  updateVrrpConfig(graph: LoadBalancerGraph, amphora: Amphora, vipSubnets: readonly Subnet[]): Promise<void>;
  /**
   * Starts keepalived with the uploaded configuration, or reloads it when it runs (`PUT
   * /1.0/vrrp/start`). Idempotent. DomainError('driver_error') when the agent cannot start it (no
   * configuration was ever uploaded, keepalived refused the file).
   */
  startVrrp(amphora: Amphora): Promise<void>;
}
