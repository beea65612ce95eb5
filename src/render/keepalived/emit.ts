/** keepalived IR → keepalived.conf text (spelling only; every token was checked by translate.ts). */
import type { KeepalivedConfigIR, VirtualRoute, VirtualRule } from './ir.js';

const I1 = '    ';
const I2 = '        ';

function assertNever(x: never): never {
  throw new Error(`unhandled IR node: ${JSON.stringify(x)}`);
}

function route(r: VirtualRoute, iface: string): string {
  switch (r.kind) {
    case 'subnet-route':
      return `${r.network} dev ${iface} src ${r.source} scope link table 1`;
    case 'default-route':
      return `default via ${r.gateway} dev ${iface} onlink table 1`;
    case 'host-route':
      // keepalived 2.2 takes `via` (upstream's template says `gateway`, which 2.2.7 refuses).
      return `${r.destination} dev ${iface} via ${r.nexthop} onlink table 1`;
    default:
      return assertNever(r);
  }
}

function rule(r: VirtualRule): string {
  switch (r.kind) {
    case 'source-rule':
      return `from ${r.source}/${r.prefixLength} table 1 priority 100`;
    default:
      return assertNever(r.kind);
  }
}

function block(name: string, lines: readonly string[]): string[] {
  return [`${I1}${name} {`, ...lines.map((l) => `${I2}${l}`), `${I1}}`];
}

export function emit(ir: KeepalivedConfigIR): string {
  const v = ir.instance;
  const lines = [
    `# Configuration for loadbalancer ${ir.loadBalancerId}, amphora ${ir.amphoraId}`,
    '',
    'global_defs {',
    `${I1}router_id ${ir.routerId}`,
    // VRRPv3: sub-second adverts (measured failover 150-180 ms at 0.05 s); no authentication.
    `${I1}vrrp_version 3`,
    // Realtime scheduling keeps sub-second adverts steady under load (dataplane.md).
    `${I1}max_auto_priority`,
    '}',
    '',
    // The agent writes 1 here when haproxy exits and 0 when it is back: FAULT sends a priority-0
    // advert and the peer takes over in ~60 ms (vrrp_track_process does not work in a netns,
    // vrrp_script cannot check more often than once a second).
    `vrrp_track_file ${ir.trackFile.name} {`,
    `${I1}file ${ir.trackFile.path}`,
    `${I1}weight 0`,
    '}',
    '',
    `vrrp_instance ${v.name} {`,
    `${I1}interface ${v.interface}`,
    `${I1}virtual_router_id ${v.virtualRouterId}`,
    `${I1}priority ${v.priority}`,
    // Both amphorae start BACKUP and never pre-empt: a recovered master whose health checks still
    // mark members down must not take the VIP back.
    `${I1}nopreempt`,
    `${I1}accept`,
    `${I1}garp_master_refresh ${v.garpRefreshInterval}`,
    `${I1}garp_master_refresh_repeat ${v.garpRefreshCount}`,
    `${I1}advert_int ${v.advertInt}`,
    `${I1}unicast_src_ip ${v.sourceAddress}`,
    ...block('unicast_peer', v.peers),
    ...block('virtual_ipaddress', v.addresses),
    ...block('virtual_ipaddress_excluded', v.excludedAddresses),
    ...block('virtual_routes', v.routes.map((r) => route(r, v.interface))),
    ...block('virtual_rules', v.rules.map(rule)),
    ...block('track_file', [ir.trackFile.name]),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
