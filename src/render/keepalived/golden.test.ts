/**
 * Golden cases: testdata/<behaviour>.in.json → <behaviour>.keepalived.conf (and
 * <behaviour>.problems.json when the render reports problems). `UPDATE_GOLDEN=1` rewrites the
 * expected files; review them as diffs. Every golden configuration is also checked with
 * `keepalived -t` (the installed 2.2, as on our amphorae, in a throw-away network namespace: see
 * testdata/keepalived-check.ts) and must pass without a single complaint.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goldenDir, shuffled } from '../testdata/golden.js';
import { paths, type AgentAmphora } from '../../agent/agent-amphora.js';
import { renderKeepalivedConfig, translate } from './index.js';
import { inputOf, type CaseInput } from './testdata/fixture.js';
import { keepalivedCheck } from './testdata/keepalived-check.js';

const golden = goldenDir(new URL('./testdata/', import.meta.url).pathname);
const cases = golden.cases;

/** What the hostile-* cases inject; it must never reach a configuration. */
const HOSTILE_MARKER = 'PWNED';

describe('keepalived golden cases', () => {
  test('the golden directory is complete', () => {
    assert.ok(cases.length >= 12, `only ${cases.length} cases`);
    golden.assertComplete(/^(.*)\.(keepalived\.conf|problems\.json)$/);
  });

  test('the track file is the one the agent writes', () => {
    const c = golden.input<CaseInput>('master-ipv4');
    for (const basePath of ['/var/lib/octavia', '/var/lib/octavia/', '/run/octavius/amphora-1']) {
      const input = inputOf({ ...c, settings: { ...c.settings, basePath } });
      const ir = translate(input).ir;
      assert.ok(ir);
      assert.equal(ir.trackFile.path, paths.haproxyTrackFile({ basePath: basePath.replace(/\/$/, '') } as AgentAmphora));
    }
  });

  for (const name of cases) {
    test(name, async () => {
      const c = golden.input<CaseInput>(name);
      const input = inputOf(c);
      const result = renderKeepalivedConfig(input);
      golden.check(`${name}.keepalived.conf`, result.text === '' ? null : result.text);
      golden.check(`${name}.problems.json`, result.problems.length > 0 ? `${JSON.stringify(result.problems, null, 2)}\n` : null);

      // Sorted output: the order amphorae, subnets and additional VIPs come in does not matter.
      const g = input.graph;
      for (const seed of [1, 2, 3]) {
        const again = renderKeepalivedConfig({
          ...input,
          graph: {
            ...g,
            loadBalancer: { ...g.loadBalancer, additionalVips: shuffled(g.loadBalancer.additionalVips, seed) },
            amphorae: shuffled(g.amphorae, seed),
          },
          subnets: shuffled(input.subnets, seed),
        });
        assert.equal(again.text, result.text, `order-dependent output (seed ${seed})`);
        assert.deepEqual(again.problems, result.problems);
      }

      // Nothing a user or an amphora supplied can start a line, a block or a comment of its own.
      assert.ok(!result.text.includes(HOSTILE_MARKER), `${name}: injected text reached the configuration`);
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\x00-\x09\x0b-\x1f\x7f]/.test(result.text), `${name}: control character in the configuration`);
      if (name.startsWith('hostile-')) {
        assert.ok(JSON.stringify(c).includes(HOSTILE_MARKER), `${name} injects nothing`);
        assert.ok(result.problems.length > 0, `${name}: the hostile values were dropped without a problem`);
      }

      if (result.text !== '') {
        const ir = translate(input).ir!;
        const check = await keepalivedCheck(result.text, ir.instance.interface);
        assert.equal(check.exitCode, 0, `keepalived -t rejected ${name}.keepalived.conf:\n${check.output}`);
        assert.equal(check.output.trim(), '', `keepalived -t complained about ${name}.keepalived.conf:\n${check.output}`);
      }
    });
  }

  test('keepalived -t catches what it should (the check can fail)', async () => {
    const c = golden.input<CaseInput>('master-ipv4');
    const { text } = renderKeepalivedConfig(inputOf(c));
    const broken = text.replace('advert_int 1\n', 'advert_int 0.001\n');
    assert.notEqual(broken, text);
    const check = await keepalivedCheck(broken, 'eth1');
    assert.notEqual(check.output.trim(), '', 'keepalived -t accepted advert_int 0.001');
    // A configuration whose interface does not exist is refused, so the namespace trick matters.
    const missing = await keepalivedCheck(text, 'eth9');
    assert.notEqual(missing.exitCode, 0, `keepalived -t accepted a missing interface:\n${missing.output}`);
  });
});
