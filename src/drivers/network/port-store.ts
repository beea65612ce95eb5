/**
 * Where the local network driver keeps its IPAM: ports and their fixed IPs. The one exception to
 * "drivers never touch the database" — the driver sees only this interface, the composition root
 * gives it the database-backed implementation (db/repositories/network-ports.ts).
 */

export interface PortFixedIp {
  readonly subnetId: string;
  /** Canonical text of the address (compressed IPv6). */
  readonly ipAddress: string;
}

export interface PortRecord {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  readonly macAddress: string;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly projectId: string | null;
  readonly createdAt: string;
  /** At least one; at most one per subnet. */
  readonly fixedIps: readonly PortFixedIp[];
}

export interface PortFilter {
  readonly ids?: readonly string[];
  readonly names?: readonly string[];
  readonly networkIds?: readonly string[];
  readonly subnetIds?: readonly string[];
  readonly deviceIds?: readonly string[];
}

/** Thrown by PortStore.create when one of the port's addresses belongs to another port. */
export class AddressInUseError extends Error {
  constructor(readonly port: PortRecord) {
    super(`an address of port ${port.id} is already allocated`);
    this.name = 'AddressInUseError';
  }
}

export interface PortStore {
  /**
   * Writes a port with all its fixed IPs, atomically. Returns 'exists' (writing nothing) when a
   * port with this id is already there, so that a repeated create is harmless. Throws
   * AddressInUseError when an address is taken by another port (also when another process took it
   * a moment ago: the unique key decides).
   */
  create(port: PortRecord): Promise<'created' | 'exists'>;
  get(id: string): Promise<PortRecord | null>;
  /** Ports matching every given filter (a filter with an empty list matches nothing), ordered by id. */
  list(filter: PortFilter): Promise<PortRecord[]>;
  /** Allocated addresses of a subnet (canonical text). */
  usedAddresses(subnetId: string): Promise<string[]>;
  /** Deletes a port and its fixed IPs; succeeds when it is already gone. */
  delete(id: string): Promise<void>;
}
