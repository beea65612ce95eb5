import { computeDriverConformance } from './compute-driver.conformance.js';
import { NoopComputeDriver } from './noop-compute-driver.js';

computeDriverConformance({ name: 'noop', create: async () => new NoopComputeDriver() });
computeDriverConformance({ name: 'noop with delay', create: async () => new NoopComputeDriver({ delayMs: 5 }) });
