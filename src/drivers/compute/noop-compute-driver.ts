/**
 * The noop compute driver, as upstream's compute_noop_driver: instances exist only as records in
 * this process and are ACTIVE at once, with the management address 192.0.2.1.
 */
import { stableId } from '../../lib/ids.js';
import { noopDelay } from '../noop-delay.js';
import type { AmphoraBuildRequest, ComputeDriver, ComputeInstance } from './compute-driver.js';

export class NoopComputeDriver implements ComputeDriver {
  readonly #delay: () => Promise<void>;
  readonly #deleted = new Set<string>();

  constructor(options: { delayMs?: number } = {}) {
    this.#delay = noopDelay(options.delayMs ?? 0);
  }

  async build(request: AmphoraBuildRequest): Promise<string> {
    await this.#delay();
    // Derived from the amphora id, so a repeated build returns the same instance.
    return stableId('noop-compute', request.amphoraId);
  }

  async get(computeId: string): Promise<ComputeInstance> {
    await this.#delay();
    return {
      computeId,
      status: this.#deleted.has(computeId) ? 'DELETED' : 'ACTIVE',
      lbNetworkIp: '192.0.2.1',
      imageId: null,
      computeFlavor: null,
      availabilityZone: null,
    };
  }

  async delete(computeId: string): Promise<void> {
    await this.#delay();
    this.#deleted.add(computeId);
  }

  async createServerGroup(name: string): Promise<string> {
    await this.#delay();
    return stableId('noop-server-group', name);
  }

  async deleteServerGroup(): Promise<void> {
    await this.#delay();
  }

  async listInstances(): Promise<string[]> {
    // Noop instances are records of no real thing: there is never anything to adopt or clean.
    return [];
  }
}
