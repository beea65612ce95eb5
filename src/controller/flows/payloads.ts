/**
 * Job kinds and their payloads: the contract between whoever enqueues work (the amphora provider
 * in the API, the health manager, housekeeping) and the worker. Names follow upstream's controller
 * worker methods. Payloads carry ids only; flows read current rows from the database.
 */

export interface ChildPayload {
  readonly loadBalancerId: string;
  /** Listeners the API locked (PENDING_UPDATE) for this change; unlocked when the flow ends. */
  readonly listenerIds: readonly string[];
}

export interface JobPayloads {
  create_load_balancer: {
    readonly loadBalancerId: string;
    readonly topology: 'SINGLE' | 'ACTIVE_STANDBY';
    /** Single-call create: children were created with the load balancer and are marked too. */
    readonly graph: boolean;
  };
  update_load_balancer: { readonly loadBalancerId: string };
  delete_load_balancer: { readonly loadBalancerId: string; readonly cascade: boolean };
  failover_load_balancer: { readonly loadBalancerId: string };
  failover_amphora: { readonly amphoraId: string; readonly loadBalancerId: string | null };
  delete_amphora: { readonly amphoraId: string };
  /** Housekeeping: build one READY amphora for the spares pool. */
  create_spare_amphora: Record<string, never>;
  update_amphora_agent_config: { readonly amphoraId: string };
  /** Housekeeping: a new server certificate for an amphora whose certificate expires soon (its `cert_busy` is set). */
  cert_rotate_amphora: { readonly amphoraId: string };
  create_listener: ChildPayload & { readonly listenerId: string };
  update_listener: ChildPayload & { readonly listenerId: string };
  delete_listener: ChildPayload & { readonly listenerId: string };
  create_pool: ChildPayload & { readonly poolId: string };
  update_pool: ChildPayload & { readonly poolId: string };
  delete_pool: ChildPayload & { readonly poolId: string };
  create_member: ChildPayload & { readonly poolId: string; readonly memberId: string };
  update_member: ChildPayload & { readonly poolId: string; readonly memberId: string };
  delete_member: ChildPayload & { readonly poolId: string; readonly memberId: string };
  batch_update_members: ChildPayload & {
    readonly poolId: string;
    readonly created: readonly string[];
    readonly updated: readonly string[];
    readonly deleted: readonly string[];
  };
  create_health_monitor: ChildPayload & { readonly poolId: string; readonly healthMonitorId: string };
  update_health_monitor: ChildPayload & { readonly poolId: string; readonly healthMonitorId: string };
  delete_health_monitor: ChildPayload & { readonly poolId: string; readonly healthMonitorId: string };
  create_l7policy: ChildPayload & { readonly l7policyId: string };
  update_l7policy: ChildPayload & { readonly l7policyId: string };
  delete_l7policy: ChildPayload & { readonly l7policyId: string };
  create_l7rule: ChildPayload & { readonly l7policyId: string; readonly l7ruleId: string };
  update_l7rule: ChildPayload & { readonly l7policyId: string; readonly l7ruleId: string };
  delete_l7rule: ChildPayload & { readonly l7policyId: string; readonly l7ruleId: string };
  /** Outcome reports of providers that complete on their own (driver-agent semantics, spec §9.3). */
  provider_status_update: { readonly update: ProviderStatusUpdate };
}

export type JobKind = keyof JobPayloads;

export interface ObjectStatus {
  readonly id: string;
  readonly provisioning_status?: string;
  readonly operating_status?: string;
}

/** Upstream's update_loadbalancer_status body. */
export interface ProviderStatusUpdate {
  readonly loadbalancers?: readonly ObjectStatus[];
  readonly listeners?: readonly ObjectStatus[];
  readonly pools?: readonly ObjectStatus[];
  readonly members?: readonly ObjectStatus[];
  readonly healthmonitors?: readonly ObjectStatus[];
  readonly l7policies?: readonly ObjectStatus[];
  readonly l7rules?: readonly ObjectStatus[];
}
