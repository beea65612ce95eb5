/**
 * Loads configuration from oslo.config-style INI files given with --config-file (repeatable; later
 * files win). Every invalid value is collected and reported at once; unknown options are warnings.
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type Config } from './config.js';
import { parseIni } from './ini.js';
import { buildLocalNetworks, checkNetnsOptions, DYNAMIC_GROUP, emptyRawLocalNetworks, recordDynamicOption } from './local-networks.js';
import { IGNORED_UPSTREAM_GROUPS, OPTIONS } from './options.js';
import type { OptionSpec } from './option-types.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadedConfig {
  readonly config: Config;
  /** Options that were not recognised: reported as warnings. */
  readonly warnings: readonly string[];
  /** Upstream options that Octavius accepts and does not use: reported at debug level. */
  readonly ignored: readonly string[];
}

/** A value set by the program, applied after every file (as oslo.config's set_override). */
export interface ConfigOverride {
  readonly group: string;
  readonly name: string;
  readonly value: string;
}

export interface LoadOptions {
  readonly files: readonly string[];
  /** Extra `group.option=value` settings applied after the files (used by `octavius up` defaults). */
  readonly overrides?: readonly ConfigOverride[];
  readonly readFile?: (path: string) => string;
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems: string[] = [];
  const warnings: string[] = [];
  const ignored: string[] = [];
  const values = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  const groups = OPTIONS as unknown as Record<string, Record<string, OptionSpec<unknown>>>;
  const localNetworks = emptyRawLocalNetworks();

  const apply = (group: string, name: string, text: string, where: string): void => {
    if (DYNAMIC_GROUP.test(group)) {
      // [network:<name>] and [subnet:<name>]: parsed together once every file has been read.
      const warning = recordDynamicOption(localNetworks, group, name, { text, where });
      if (warning) warnings.push(warning);
      return;
    }
    const spec = groups[group]?.[name];
    if (!spec) {
      if (group in groups) warnings.push(`${where}: unknown option [${group}] ${name} (ignored)`);
      else if ((IGNORED_UPSTREAM_GROUPS as readonly string[]).includes(group)) ignored.push(`[${group}] ${name}`);
      else warnings.push(`${where}: unknown option [${group}] ${name} (ignored)`);
      return;
    }
    const parsed = spec.parse(text);
    if (parsed.ok) values[group]![name] = parsed.value;
    else problems.push(`${where}: [${group}] ${name} = ${JSON.stringify(text)}: ${parsed.problem}`);
  };

  for (const file of options.files) {
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      problems.push(`${file}: cannot read: ${(err as Error).message}`);
      continue;
    }
    const parsed = parseIni(text, file);
    for (const p of parsed.problems) problems.push(`${p.file}:${p.line}: ${p.problem}`);
    for (const e of parsed.entries) apply(e.group, e.name, e.value, `${e.file}:${e.line}`);
  }
  for (const o of options.overrides ?? []) apply(o.group, o.name, o.value, 'override');

  const built = buildLocalNetworks(localNetworks);
  problems.push(...built.problems);
  (values as Record<string, unknown>)['local_networks'] = built.value;

  const config = values as unknown as Config;
  problems.push(...crossCheck(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: resolveDerived(config), warnings, ignored };
}

/** Rules that involve more than one option. */
function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  const api = config.api_settings;
  const limit = api.pagination_max_limit.trim().toLowerCase();
  if (limit !== 'infinite' && !/^-?\d+$/.test(limit)) {
    problems.push(`[api_settings] pagination_max_limit = ${JSON.stringify(api.pagination_max_limit)}: must be an integer or "infinite"`);
  }
  if (!Object.hasOwn(api.enabled_provider_drivers, api.default_provider_driver)) {
    problems.push(
      `[api_settings] default_provider_driver = ${api.default_provider_driver}: not among enabled_provider_drivers (${Object.keys(api.enabled_provider_drivers).join(', ')})`,
    );
  }
  for (const key of ['default_listener_tls_versions', 'default_pool_tls_versions'] as const) {
    for (const v of api[key]) {
      if (!['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].includes(v)) {
        problems.push(`[api_settings] ${key}: ${v} is not a TLS version`);
      }
    }
  }
  for (const key of ['default_listener_alpn_protocols', 'default_pool_alpn_protocols'] as const) {
    for (const v of api[key]) {
      if (!['h2', 'http/1.1', 'http/1.0'].includes(v)) problems.push(`[api_settings] ${key}: ${v} is not an ALPN protocol`);
    }
  }
  const conn = config.database.connection;
  if (conn !== null && conn !== '' && !/^(sqlite|postgres(ql)?|mysql|mariadb)(\+[a-z0-9]+)?:\/\//i.test(conn)) {
    problems.push(`[database] connection: unsupported URL scheme in ${redactUrl(conn)}`);
  }
  problems.push(...checkNetnsOptions(config.netns));
  return problems;
}

/** Fills the defaults that depend on the machine: host name, state directory, database path. */
function resolveDerived(config: Config): Config {
  const DEFAULT = { ...config.DEFAULT };
  if (DEFAULT.host === '') DEFAULT.host = hostname();
  if (DEFAULT.state_path === '') DEFAULT.state_path = defaultStatePath();
  const database = { ...config.database };
  if (database.connection === null || database.connection === '') {
    database.connection = `sqlite:///${join(DEFAULT.state_path, 'octavius.sqlite')}`;
  }
  return { ...config, DEFAULT, database };
}

export function defaultStatePath(): string {
  if (process.env['OCTAVIUS_STATE_PATH']) return process.env['OCTAVIUS_STATE_PATH'];
  if (process.getuid?.() === 0) return '/var/lib/octavius';
  const xdg = process.env['XDG_STATE_HOME'];
  return join(xdg && xdg !== '' ? xdg : join(homedir(), '.local', 'state'), 'octavius');
}

/** A database URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
