/**
 * Golden cases: testdata/<behaviour>.in.json → <behaviour>.haproxy.cfg (and <behaviour>.problems.json
 * when the render reports problems). `UPDATE_GOLDEN=1` rewrites the expected files; review them as
 * diffs. Every golden config is also checked with `haproxy -c` (the installed 2.6, as on our
 * amphorae) and must load without errors or warnings other than "no server state file yet".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goldenDir, shuffled } from '../testdata/golden.js';
import { haproxyPeerName, renderHaproxyConfig, tlsFilesFor } from './index.js';
import { inputOf, type CaseInput } from './testdata/fixture.js';
import { haproxyCheck } from './testdata/haproxy-check.js';

const golden = goldenDir(new URL('./testdata/', import.meta.url).pathname);
const cases = golden.cases;

describe('haproxy golden cases', () => {
  test('the golden directory is complete', () => {
    assert.ok(cases.length >= 30, `only ${cases.length} cases`);
    golden.assertComplete(/^(.*)\.(haproxy\.cfg|problems\.json)$/);
  });

  for (const name of cases) {
    test(name, async () => {
      const c = golden.input<CaseInput>(name);
      const input = inputOf(c);
      const result = renderHaproxyConfig(input);
      golden.check(`${name}.haproxy.cfg`, result.text === '' ? null : result.text);
      golden.check(`${name}.problems.json`, result.problems.length > 0 ? `${JSON.stringify(result.problems, null, 2)}\n` : null);

      // Sorted output: the order objects come in does not matter.
      const g = input.graph;
      for (const seed of [1, 2, 3]) {
        const again = renderHaproxyConfig({
          ...input,
          graph: {
            ...g,
            listeners: shuffled(g.listeners, seed),
            pools: shuffled(g.pools, seed),
            members: shuffled(g.members, seed),
            healthMonitors: shuffled(g.healthMonitors, seed),
            l7policies: shuffled(g.l7policies, seed),
            l7rules: shuffled(g.l7rules, seed),
            amphorae: shuffled(g.amphorae, seed),
          },
        });
        assert.equal(again.text, result.text, `order-dependent output (seed ${seed})`);
        assert.deepEqual(again.problems, result.problems);
      }
      assert.deepEqual(tlsFilesFor(g, input.settings.baseCertDir), result.tlsFiles);

      if (result.text !== '') {
        const check = await haproxyCheck(result.text, result.tlsFiles, g, {
          localPeer: haproxyPeerName(input.amphora.id),
          baseCertDir: input.settings.baseCertDir,
        });
        assert.equal(check.exitCode, 0, `haproxy -c rejected ${name}.haproxy.cfg:\n${check.output}`);
        assert.deepEqual(check.complaints, [], `haproxy -c warned about ${name}.haproxy.cfg:\n${check.output}`);
      }
    });
  }
});
