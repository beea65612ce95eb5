import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configurationReference } from './reference.js';

test('docs/configuration.md is up to date with the option table (run `npm run config-reference`)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, configurationReference());
});
