/** Configuration loading: upstream files start unchanged, every bad value is reported at once. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIni } from './ini.js';
import { ConfigError, loadConfig } from './load.js';

const here = new URL('.', import.meta.url).pathname;

test("upstream's noop octavia.conf loads unchanged, with values typed and unused groups ignored", () => {
  const { config, warnings, ignored } = loadConfig({ files: [join(here, 'testdata', 'upstream-noop.conf')] });
  assert.deepEqual(warnings, []);
  assert.ok(ignored.includes('[oslo_messaging] topic'));
  assert.equal(config.api_settings.bind_port, 19876);
  assert.equal(config.api_settings.auth_strategy, 'noauth');
  assert.equal(config.api_settings.healthcheck_enabled, true);
  assert.deepEqual(Object.keys(config.api_settings.enabled_provider_drivers), ['amphora', 'octavia', 'noop_driver', 'noop_driver-alt']);
  assert.equal(config.api_settings.enabled_provider_drivers['amphora'], 'The Octavia Amphora driver.');
  assert.equal(config.controller_worker.amphora_driver, 'amphora_noop_driver');
  assert.equal(config.task_flow.max_workers, 5);
  assert.deepEqual(config.health_manager.controller_ip_port_list, ['127.0.0.1:5555']);
  assert.equal(config.database.connection, 'mysql+pymysql://octavia:octavia@127.0.0.1:3306/octavia');
});

test('later files override earlier ones; unknown options are warnings', () => {
  const files: Record<string, string> = {
    a: '[api_settings]\nbind_port = 1000\nbind_host = 0.0.0.0\n',
    b: '[api_settings]\nbind_port = 2000\nno_such_option = 1\n[made_up]\nx = y\n',
  };
  const { config, warnings } = loadConfig({ files: ['a', 'b'], readFile: (p) => files[p]! });
  assert.equal(config.api_settings.bind_port, 2000);
  assert.equal(config.api_settings.bind_host, '0.0.0.0');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /unknown option \[api_settings\] no_such_option/);
  assert.match(warnings[1]!, /unknown option \[made_up\] x/);
});

test('every invalid value is reported at once', () => {
  const text = [
    '[api_settings]',
    'bind_port = seventy',
    'auth_strategy = magic',
    'allow_pagination = perhaps',
    '[database]',
    'connection = oracle://x',
    '[house_keeping]',
    'cleanup_interval = 0',
  ].join('\n');
  assert.throws(
    () => loadConfig({ files: ['c'], readFile: () => text }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 5, err.problems.join('\n'));
      assert.ok(err.problems.some((p) => p.includes('bind_port') && p.includes('port number')));
      assert.ok(err.problems.some((p) => p.includes('auth_strategy') && p.includes('noauth')));
      assert.ok(err.problems.some((p) => p.includes('allow_pagination')));
      assert.ok(err.problems.some((p) => p.includes('[database] connection')));
      assert.ok(err.problems.some((p) => p.includes('cleanup_interval') && p.includes('>= 1')));
      return true;
    },
  );
});

test('a missing file is a problem, not a crash', () => {
  assert.throws(() => loadConfig({ files: ['/nonexistent/octavia.conf'] }), ConfigError);
});

test('embedded defaults: SQLite under the state path', () => {
  const { config } = loadConfig({ files: [], readFile: () => '' });
  assert.match(config.database.connection!, /^sqlite:\/\/\/.*octavius\.sqlite$/);
  assert.ok(config.DEFAULT.host.length > 0);
});

test('INI dialect: continuation lines, quotes, comments, colon separators', () => {
  const { entries, problems } = parseIni('# c\n[g]\na = "quoted"\nb: colon\nc = first\n  second\n; comment\nbad line\n', 'f');
  assert.deepEqual(
    entries.map((e) => [e.name, e.value]),
    [
      ['a', 'quoted'],
      ['b', 'colon'],
      ['c', 'first\nsecond'],
    ],
  );
  assert.equal(problems.length, 1);
});
