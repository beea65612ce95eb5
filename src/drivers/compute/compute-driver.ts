/**
 * Compute drivers provide amphorae: a place where the agent, HAProxy and keepalived run. `noop`
 * fabricates instances for API-only deployments; `netns` (issue 3) makes each amphora a network
 * namespace. Drivers never touch the database: tasks persist what drivers return.
 */

export const COMPUTE_STATUSES = ['BUILDING', 'ACTIVE', 'ERROR', 'DELETED'] as const;
export type ComputeStatus = (typeof COMPUTE_STATUSES)[number];

/**
 * What an amphora boots with (upstream's config drive): the agent's TLS identity and configuration.
 * Secrets travel in memory only; a compute driver keeps them on tmpfs at most.
 */
export interface AmphoraBootFiles {
  /** PEM: the agent's server certificate followed by its private key (CN = amphora id). */
  readonly serverPem: string;
  /** PEM: the CA that signed the controller's client certificate (the agent trusts only it). */
  readonly clientCaPem: string;
  /** amphora-agent.conf (spec §7.6), rendered by the controller. */
  readonly agentConfig: string;
}

export interface AmphoraBuildRequest {
  /** The amphora id; also the identity the instance's agent certificate carries. */
  readonly amphoraId: string;
  readonly name: string;
  readonly computeFlavor: string | null;
  readonly imageTag: string | null;
  readonly availabilityZone: string | null;
  readonly serverGroupId: string | null;
  /** Null for drivers that start nothing (noop). */
  readonly bootFiles: AmphoraBootFiles | null;
}

export interface ComputeInstance {
  readonly computeId: string;
  readonly status: ComputeStatus;
  /** Management address the controller reaches the agent on. */
  readonly lbNetworkIp: string | null;
  readonly imageId: string | null;
  readonly computeFlavor: string | null;
  readonly availabilityZone: string | null;
}

export interface ComputeDriver {
  /**
   * Starts building an instance for the amphora and returns its compute id. Idempotent per
   * amphora id: calling it again after a crash returns the instance the first call started.
   * Throws DomainError('driver_error', retryable) on transient backend failures.
   */
  build(request: AmphoraBuildRequest): Promise<string>;
  /** Current state of an instance; status DELETED when it does not exist. */
  get(computeId: string): Promise<ComputeInstance>;
  /** Deletes an instance; succeeds when it is already gone. */
  delete(computeId: string): Promise<void>;
  /** Creates an anti-affinity group for an ACTIVE_STANDBY pair; returns its id (idempotent by name). */
  createServerGroup(name: string, policy: string): Promise<string>;
  /** Deletes a server group; succeeds when it is already gone. */
  deleteServerGroup(id: string): Promise<void>;
  /** Compute ids of every instance this driver runs on this host (for re-adoption and orphan clean-up). */
  listInstances(): Promise<string[]>;
}
