/** The noop amphora driver, as upstream's amphora_noop_driver: every call succeeds and does nothing. */
import { noopDelay } from '../noop-delay.js';
import type { AmphoraDriver } from './amphora-driver.js';

export class NoopAmphoraDriver implements AmphoraDriver {
  readonly requiresServerCertificate = false;
  readonly #delay: () => Promise<void>;
  constructor(options: { delayMs?: number } = {}) {
    this.#delay = noopDelay(options.delayMs ?? 0);
  }
  async waitForConnectivity(): Promise<void> {
    await this.#delay();
  }
  async finalize(): Promise<void> {
    await this.#delay();
  }
  async postVipPlug(): Promise<void> {
    await this.#delay();
  }
  async updateListeners(): Promise<void> {
    await this.#delay();
  }
  async deleteListeners(): Promise<void> {
    await this.#delay();
  }
  async updateAgentConfig(): Promise<void> {
    await this.#delay();
  }
  async postNetworkPlug(): Promise<void> {
    await this.#delay();
  }
  async updateServerCertificate(): Promise<void> {
    await this.#delay();
  }
  async getVrrpInterface(): Promise<string | null> {
    await this.#delay();
    return null;
  }
  async updateVrrpConfig(): Promise<void> {
    await this.#delay();
  }
  async startVrrp(): Promise<void> {
    await this.#delay();
  }
}
