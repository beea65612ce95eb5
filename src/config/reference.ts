/** The configuration reference (docs/configuration.md), generated from the option table. */
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
  for (const [group, options] of Object.entries(OPTIONS)) {
    lines.push(`## [${group}]`, '', '| option | type | default | meaning |', '|---|---|---|---|');
    for (const [name, spec] of Object.entries(options as Record<string, OptionSpec<unknown>>)) {
      const def = spec.describeDefault().replace(/\|/g, '\\|');
      lines.push(`| \`${name}\` | ${spec.kind} | \`${def === '' ? '""' : def}\` | ${spec.help.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
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
