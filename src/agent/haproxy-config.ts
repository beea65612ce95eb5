/**
 * What the agent reads in an uploaded haproxy.cfg: sections, listeners (frontends), the stats
 * socket and server-state file, the global maxconn (capped to what the open-files limit allows)
 * and whether two configurations differ only in backend `server` lines, which the runtime API can
 * apply without a reload (dataplane.md §3). Pure functions of text.
 */

const SECTION_KEYWORDS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'userlist',
  'resolvers',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'fcgi-app',
]);

export interface Section {
  readonly keyword: string;
  readonly name: string | null;
  /** The header line, normalised (single spaces). */
  readonly header: string;
  /** Meaningful lines (trimmed, single spaces, no blank or comment-only lines). */
  readonly lines: readonly string[];
}

function normalise(line: string): string {
  return line.trim().split(/\s+/).join(' ');
}

export function parseSections(text: string): Section[] {
  const sections: { keyword: string; name: string | null; header: string; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = normalise(raw);
    if (line === '' || line.startsWith('#')) continue;
    const first = line.split(' ')[0]!;
    if (SECTION_KEYWORDS.has(first)) {
      sections.push({ keyword: first, name: line.split(' ')[1] ?? null, header: line, lines: [] });
    } else if (sections.length > 0) {
      sections[sections.length - 1]!.lines.push(line);
    }
  }
  return sections;
}

/** Upstream strips `group` statements: the agent supplies the group (haproxy-default-user-group.conf). */
export function stripGroupLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*group\s+\S/.test(l))
    .join('\n');
}

/** The largest global maxconn an open-files limit allows (each connection may need two fds). */
export function maxconnFor(maxOpenFiles: number): number {
  return Math.max(1, Math.floor((maxOpenFiles - 100) / 2));
}

/** Lowers the global maxconn to `cap` when it is higher; reports the value it replaced. */
export function capGlobalMaxconn(text: string, cap: number): { text: string; cappedFrom: number | null } {
  let section: string | null = null;
  let cappedFrom: number | null = null;
  const lines = text.split('\n').map((l) => {
    const first = l.trim().split(/\s+/)[0] ?? '';
    if (SECTION_KEYWORDS.has(first)) section = first;
    const m = /^(\s*maxconn\s+)(\d+)(.*)$/.exec(l);
    if (section === 'global' && m && Number(m[2]) > cap) {
      cappedFrom = Number(m[2]);
      return `${m[1]}${cap}${m[3]}`;
    }
    return l;
  });
  return { text: lines.join('\n'), cappedFrom };
}

export interface ListenerInfo {
  readonly id: string;
  /** Upstream's listener type: the frontend mode upper-cased, TERMINATED_HTTPS with a crt-list. */
  readonly type: string;
}

export function listenersOf(text: string): ListenerInfo[] {
  const sections = parseSections(text);
  const defaultMode = sections.find((s) => s.keyword === 'defaults')?.lines.find((l) => l.startsWith('mode '))?.split(' ')[1];
  return sections
    .filter((s) => s.keyword === 'frontend' && s.name !== null)
    .map((s) => {
      const mode = s.lines.find((l) => l.startsWith('mode '))?.split(' ')[1] ?? defaultMode ?? 'tcp';
      const tls = s.lines.some((l) => /^bind \S+ .*\bssl crt-list\b/.test(l));
      return { id: s.name!, type: tls ? 'TERMINATED_HTTPS' : mode.toUpperCase() };
    });
}

function globalValue(text: string, pattern: RegExp): string | null {
  const global = parseSections(text).find((s) => s.keyword === 'global');
  for (const line of global?.lines ?? []) {
    const m = pattern.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

export function statsSocketOf(text: string): string | null {
  return globalValue(text, /^stats socket (\S+)/);
}

export function serverStateFileOf(text: string): string | null {
  const path = globalValue(text, /^server-state-file (\S+)/);
  return path !== null && path.startsWith('/') ? path : null;
}

// ---------------------------------------------------------------------------------------------
// Server-only changes

export interface ServerLine {
  readonly name: string;
  readonly address: string;
  readonly options: readonly string[];
}

export type ServerChange =
  | { readonly kind: 'add'; readonly backend: string; readonly server: ServerLine }
  | { readonly kind: 'remove'; readonly backend: string; readonly server: ServerLine }
  | { readonly kind: 'update'; readonly backend: string; readonly server: ServerLine; readonly old: ServerLine };

function parseServer(line: string): ServerLine | null {
  const tokens = line.split(' ');
  if (tokens[0] !== 'server' || tokens.length < 3) return null;
  return { name: tokens[1]!, address: tokens[2]!, options: tokens.slice(3) };
}

/** Server keywords HAProxy 2.6 refuses for servers added at run time (`add server`). */
const NOT_DYNAMIC = new Set([
  'cookie',
  'redir',
  'init-addr',
  'resolvers',
  'resolve-prefer',
  'resolve-net',
  'resolve-opts',
  'namespace',
  'socks4',
  'non-stick',
  'stick',
  'max-reuse',
  'tcp-ut',
  'log-proto',
]);

const DYNAMIC_ALGORITHMS = new Set(['roundrobin', 'leastconn', 'first', 'random']);

/** Options other than weight and admin state: when these differ, the server is replaced. */
function identityOf(s: ServerLine): string {
  const rest: string[] = [];
  for (let i = 0; i < s.options.length; i++) {
    const t = s.options[i]!;
    if (t === 'weight') i++;
    else if (t !== 'disabled' && t !== 'enabled') rest.push(t);
  }
  return `${s.address} ${rest.join(' ')}`;
}

export function weightOf(s: ServerLine): number {
  const i = s.options.indexOf('weight');
  const w = i >= 0 ? Number(s.options[i + 1]) : 1;
  return Number.isFinite(w) ? w : 1;
}

export function isDisabled(s: ServerLine): boolean {
  return s.options.includes('disabled');
}

/**
 * The server changes that turn `running` into `next`, or null when anything else differs (then
 * only a reload applies the new file) or when a change cannot be made at run time: a backend with
 * a static algorithm, `default-server` lines (servers added at run time do not inherit them), or
 * server keywords `add server` refuses.
 */
export function serverOnlyChanges(running: string, next: string): ServerChange[] | null {
  const a = parseSections(running);
  const b = parseSections(next);
  if (a.length !== b.length) return null;
  const usesDefaultServer = b.some((s) => s.lines.some((l) => l.startsWith('default-server ')));
  const defaultsBalance = b.find((s) => s.keyword === 'defaults')?.lines.find((l) => l.startsWith('balance '));
  const changes: ServerChange[] = [];
  for (let i = 0; i < a.length; i++) {
    const sa = a[i]!;
    const sb = b[i]!;
    if (sa.header !== sb.header) return null;
    if (sa.keyword !== 'backend') {
      if (sa.lines.join('\n') !== sb.lines.join('\n')) return null;
      continue;
    }
    const otherA = sa.lines.filter((l) => !l.startsWith('server '));
    const otherB = sb.lines.filter((l) => !l.startsWith('server '));
    if (otherA.join('\n') !== otherB.join('\n')) return null;
    const serversA = serverMap(sa);
    const serversB = serverMap(sb);
    if (serversA === null || serversB === null) return null;
    const backend = sa.name!;
    const own: ServerChange[] = [];
    for (const [name, s] of serversA) if (!serversB.has(name)) own.push({ kind: 'remove', backend, server: s });
    for (const [name, s] of serversB) {
      const old = serversA.get(name);
      if (!old) own.push({ kind: 'add', backend, server: s });
      else if (identityOf(old) !== identityOf(s)) {
        own.push({ kind: 'remove', backend, server: old }, { kind: 'add', backend, server: s });
      } else if (weightOf(old) !== weightOf(s) || isDisabled(old) !== isDisabled(s)) {
        own.push({ kind: 'update', backend, server: s, old });
      }
    }
    if (own.some((c) => c.kind === 'add')) {
      if (usesDefaultServer) return null;
      const balance = (sb.lines.find((l) => l.startsWith('balance ')) ?? defaultsBalance ?? 'balance roundrobin').split(' ')[1]!;
      const consistent = sb.lines.includes('hash-type consistent');
      if (!DYNAMIC_ALGORITHMS.has(balance) && !consistent) return null;
      for (const c of own) if (c.kind === 'add' && c.server.options.some((o) => NOT_DYNAMIC.has(o))) return null;
    }
    changes.push(...own);
  }
  return changes;
}

function serverMap(section: Section): Map<string, ServerLine> | null {
  const map = new Map<string, ServerLine>();
  for (const line of section.lines) {
    if (!line.startsWith('server ')) continue;
    const s = parseServer(line);
    if (s === null || map.has(s.name)) return null;
    map.set(s.name, s);
  }
  return map;
}
