import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { AMPHORA_FLAVOR_SCHEMA } from './amphora-provider.js';
import { validateMetadata } from './metadata-schema.js';

const check = (metadata: Record<string, unknown>) => () => validateMetadata('amphora', AMPHORA_FLAVOR_SCHEMA, metadata);

test('flavor metadata: jsonschema messages, and no inherited property names slip through', () => {
  assert.doesNotThrow(check({ loadbalancer_topology: 'SINGLE', sriov_vip: false }));
  for (const key of ['constructor', 'toString', '__proto__', 'nope']) {
    assert.throws(check(JSON.parse(`{"${key}": 1}`)), (e: unknown) => {
      assert.ok(e instanceof DomainError && e.code === 'provider_unsupported_option');
      assert.match(e.message, /Additional properties are not allowed \('.*' was unexpected\)/);
      return true;
    });
  }
  assert.throws(check({ loadbalancer_topology: 'BOTH' }), /loadbalancer_topology 'BOTH' is not one of \['ACTIVE_STANDBY', 'SINGLE'\]/);
  assert.throws(check({ sriov_vip: 'yes' }), /sriov_vip 'yes' is not of type 'boolean'/);
});
