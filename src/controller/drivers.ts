/** The drivers a flow may use, chosen once by the composition root (cli/compose.ts). */
import type { AmphoraDriver } from '../drivers/amphora/amphora-driver.js';
import type { CertGenerator } from '../drivers/certs/cert-generator.js';
import type { ComputeDriver } from '../drivers/compute/compute-driver.js';
import type { NetworkDriver } from '../drivers/network/network-driver.js';

export interface Drivers {
  readonly compute: ComputeDriver;
  readonly network: NetworkDriver;
  readonly amphora: AmphoraDriver;
  readonly certs: CertGenerator;
}
