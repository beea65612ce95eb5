/**
 * The conformance suite every ComputeDriver runs: the contract of compute-driver.ts, checked the
 * same way for noop and real drivers. Call it from a driver's test file with a factory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../../lib/ids.js';
import type { AmphoraBootFiles, AmphoraBuildRequest, ComputeDriver } from './compute-driver.js';

export interface ComputeConformanceOptions {
  readonly name: string;
  readonly create: () => Promise<ComputeDriver>;
  readonly cleanup?: (driver: ComputeDriver) => Promise<void>;
  /** Seconds to wait for ACTIVE. */
  readonly activeTimeoutS?: number;
  /** Boot files for drivers that start an agent (noop: none). */
  readonly bootFiles?: (amphoraId: string) => Promise<AmphoraBootFiles>;
}

async function request(options: ComputeConformanceOptions): Promise<AmphoraBuildRequest> {
  const amphoraId = newId();
  return {
    amphoraId,
    name: `amphora-${amphoraId}`,
    computeFlavor: null,
    imageTag: null,
    availabilityZone: null,
    serverGroupId: null,
    bootFiles: options.bootFiles ? await options.bootFiles(amphoraId) : null,
  };
}

async function waitActive(driver: ComputeDriver, computeId: string, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const instance = await driver.get(computeId);
    if (instance.status === 'ACTIVE') return;
    assert.notEqual(instance.status, 'ERROR', 'instance went to ERROR');
    assert.ok(Date.now() < deadline, `instance not ACTIVE after ${timeoutS}s (status ${instance.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function computeDriverConformance(options: ComputeConformanceOptions): void {
  const timeout = options.activeTimeoutS ?? 30;
  test(`${options.name}: a built instance becomes ACTIVE with a management address`, async () => {
    const driver = await options.create();
    try {
      const computeId = await driver.build(await request(options));
      await waitActive(driver, computeId, timeout);
      const instance = await driver.get(computeId);
      assert.equal(instance.computeId, computeId);
      assert.ok(instance.lbNetworkIp, 'ACTIVE instance has a management address');
      await driver.delete(computeId);
    } finally {
      await options.cleanup?.(driver);
    }
  });

  test(`${options.name}: build is idempotent per amphora id`, async () => {
    const driver = await options.create();
    try {
      const req = await request(options);
      const first = await driver.build(req);
      const second = await driver.build(req);
      assert.equal(second, first);
      const other = await driver.build(await request(options));
      assert.notEqual(other, first);
      await driver.delete(first);
      await driver.delete(other);
    } finally {
      await options.cleanup?.(driver);
    }
  });

  test(`${options.name}: delete removes the instance and may be repeated`, async () => {
    const driver = await options.create();
    try {
      const computeId = await driver.build(await request(options));
      await waitActive(driver, computeId, timeout);
      await driver.delete(computeId);
      await driver.delete(computeId);
      assert.equal((await driver.get(computeId)).status, 'DELETED');
    } finally {
      await options.cleanup?.(driver);
    }
  });

  test(`${options.name}: server groups are created idempotently by name and deleted`, async () => {
    const driver = await options.create();
    try {
      const name = `octavius-lb-${newId()}`;
      const a = await driver.createServerGroup(name, 'anti-affinity');
      const b = await driver.createServerGroup(name, 'anti-affinity');
      assert.equal(a, b);
      await driver.deleteServerGroup(a);
      await driver.deleteServerGroup(a);
    } finally {
      await options.cleanup?.(driver);
    }
  });
}
