/** The configuration reference (docs/configuration.md), generated from the option table. */
import { NETWORK_OPTIONS, SUBNET_OPTIONS } from './local-networks.js';
import { IGNORED_UPSTREAM_GROUPS, OPTIONS } from './options.js';
import type { OptionSpec } from './option-types.js';

export function configurationReference(): string {
  const lines: string[] = [
    '# Configuration reference',
    '',
    'Generated from `src/config/options.ts` (`npm run config-reference`). Files are oslo.config-style INI,',
    'given with `--config-file` (repeatable; later files win). Group and option names are upstream',
    "octavia.conf's wherever the meaning is the same, so an upstream file starts Octavius unchanged;",
    'unknown options are reported as warnings, invalid values all at once.',
    '',
  ];
  const table = (options: Record<string, OptionSpec<unknown>>): void => {
    lines.push('| option | type | default | meaning |', '|---|---|---|---|');
    for (const [name, spec] of Object.entries(options)) {
      const def = spec.describeDefault().replace(/\|/g, '\\|');
      lines.push(`| \`${name}\` | ${spec.kind} | \`${def === '' ? '""' : def}\` | ${spec.help.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  };
  for (const [group, options] of Object.entries(OPTIONS)) {
    lines.push(`## [${group}]`, '');
    table(options as Record<string, OptionSpec<unknown>>);
  }
  lines.push(
    '## [network:&lt;name&gt;]',
    '',
    'One group per network of the local network driver (`network_local_driver`). Each network is a Linux',
    'bridge in the root namespace, created at start, that holds the gateway address of each of its subnets,',
    'so the host reaches members and VIPs on it.',
    '',
  );
  table(NETWORK_OPTIONS);
  lines.push(
    '## [subnet:&lt;name&gt;]',
    '',
    'One group per subnet of a local network, IPv4 or IPv6. Addresses of VIPs, amphora VRRP ports and',
    'member-network ports are allocated from the pools and recorded in the database (`network_port`).',
    '',
    '```ini',
    '[network:public]',
    'bridge = octv-br-public',
    'subnets = public-v4, public-v6',
    '',
    '[subnet:public-v4]',
    'cidr = 198.18.0.0/24',
    'gateway = 198.18.0.1',
    'allocation_pools = 198.18.0.10-198.18.0.250',
    'host_routes = 198.18.64.0/24 via 198.18.0.254',
    '',
    '[subnet:public-v6]',
    'cidr = fd00:18::/64',
    '```',
    '',
  );
  table(SUBNET_OPTIONS);
  lines.push(
    '## Accepted upstream groups',
    '',
    'These groups of octavia.conf are accepted and not used by Octavius: ' +
      IGNORED_UPSTREAM_GROUPS.map((g) => `\`[${g}]\``).join(', ') +
      '.',
    '',
  );
  return lines.join('\n');
}
