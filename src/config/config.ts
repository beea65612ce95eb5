/**
 * The typed configuration tree. Components receive only their own group (or a slice of it) through
 * their constructors; nothing reads configuration globally.
 */
import { NO_LOCAL_NETWORKS, type LocalNetworks } from './local-networks.js';
import type { ValueOf } from './option-types.js';
import { OPTIONS } from './options.js';

type Options = typeof OPTIONS;

export type Config = {
  readonly [G in keyof Options]: { readonly [K in keyof Options[G]]: ValueOf<Options[G][K]> };
} & {
  /** Networks and subnets of the local network driver: the [network:<name>] and [subnet:<name>] groups. */
  readonly local_networks: LocalNetworks;
};

export type ConfigGroup<G extends keyof Config> = Config[G];

/** The configuration with every option at its default. */
export function defaultConfig(): Config {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, options] of Object.entries(OPTIONS)) {
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(options)) values[name] = spec.default;
    out[group] = values;
  }
  (out as Record<string, unknown>)['local_networks'] = NO_LOCAL_NETWORKS;
  return out as unknown as Config;
}

/** A copy of `base` with some options replaced: for tests and for composing embedded defaults. */
export function withOverrides(base: Config, overrides: { [G in keyof Config]?: Partial<Config[G]> }): Config {
  const out: Record<string, unknown> = { ...base };
  for (const [group, values] of Object.entries(overrides)) {
    out[group] = { ...(base as unknown as Record<string, object>)[group], ...values };
  }
  return out as Config;
}
