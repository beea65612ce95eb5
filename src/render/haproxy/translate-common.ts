/** Pieces the frontend and backend translations share. */
import { ALPN_PROTOCOLS, TLS_VERSIONS, type Listener } from '../../domain/listener.js';
import { isOneOf } from '../../domain/status.js';
import type { TranslateContext } from './context.js';
import { argument, type Word } from './escape.js';
import type { ProxyMode, TlsVersionOption } from './ir.js';

/** What backends need to know about the listener that uses them. */
export interface ListenerFacts {
  readonly name: Word;
  readonly mode: ProxyMode;
  readonly maxconn: number;
  /** The listener terminates TLS (PROXYV2 pools then send the client certificate's CN). */
  readonly terminatesTls: boolean;
}

export interface ListenerTimeouts {
  readonly clientData: number;
  readonly memberConnect: number;
  readonly memberData: number;
  readonly tcpInspect: number;
}

// As upstream (`listener.x or CONF.x`): null and 0 both mean "the configured default".
export function listenerTimeouts(ctx: TranslateContext, l: Listener): ListenerTimeouts {
  const s = ctx.settings;
  return {
    clientData: l.timeoutClientData || s.timeoutClientData,
    memberConnect: l.timeoutMemberConnect || s.timeoutMemberConnect,
    memberData: l.timeoutMemberData || s.timeoutMemberData,
    tcpInspect: l.timeoutTcpInspect || s.timeoutTcpInspect,
  };
}

export function validTimeouts(t: ListenerTimeouts): boolean {
  return [t.clientData, t.memberConnect, t.memberData, t.tcpInspect].every((n) => Number.isSafeInteger(n) && n >= 0);
}

// Upstream's VALID_CIPHER_RE: OpenSSL cipher-list syntax only.
const CIPHERS = /^[A-Za-z0-9\-+!:@=_.]+$/;

const VERSION_OPTIONS: readonly (readonly [string, TlsVersionOption])[] = [
  ['SSLv3', 'no-sslv3'],
  ['TLSv1', 'no-tlsv10'],
  ['TLSv1.1', 'no-tlsv11'],
  ['TLSv1.2', 'no-tlsv12'],
  ['TLSv1.3', 'no-tlsv13'],
];

export type TlsOptions =
  | {
      readonly ok: true;
      readonly ciphers: Word | null;
      readonly versionOptions: readonly TlsVersionOption[];
      readonly alpn: Word | null;
    }
  | { readonly ok: false; readonly reason: string };

/** tls_ciphers, tls_versions and alpn_protocols of a listener or pool. */
export function tlsOptions(o: {
  readonly tlsCiphers: string | null;
  readonly tlsVersions: readonly string[] | null;
  readonly alpnProtocols: readonly string[] | null;
}): TlsOptions {
  let ciphers: Word | null = null;
  if (o.tlsCiphers !== null) {
    const c = argument(o.tlsCiphers);
    if (!c.ok || !CIPHERS.test(o.tlsCiphers)) return { ok: false, reason: 'tls_ciphers is not an OpenSSL cipher list' };
    ciphers = c.word;
  }
  let versionOptions: TlsVersionOption[] = [];
  if (o.tlsVersions !== null) {
    const unknown = o.tlsVersions.find((v) => !isOneOf(TLS_VERSIONS, v));
    if (unknown !== undefined) return { ok: false, reason: `tls_versions: ${JSON.stringify(unknown)} is not a TLS version` };
    versionOptions = VERSION_OPTIONS.filter(([v]) => !o.tlsVersions!.includes(v)).map(([, opt]) => opt);
    if (versionOptions.length === VERSION_OPTIONS.length) return { ok: false, reason: 'tls_versions is empty' };
  }
  let alpn: Word | null = null;
  if (o.alpnProtocols !== null && o.alpnProtocols.length > 0) {
    const unknown = o.alpnProtocols.find((p) => !isOneOf(ALPN_PROTOCOLS, p));
    if (unknown !== undefined) return { ok: false, reason: `alpn_protocols: ${JSON.stringify(unknown)} is not supported` };
    const a = argument([...new Set(o.alpnProtocols)].join(','));
    if (!a.ok) return { ok: false, reason: `alpn_protocols ${a.reason}` };
    alpn = a.word;
  }
  return { ok: true, ciphers, versionOptions, alpn };
}
