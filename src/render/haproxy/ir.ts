/**
 * The intermediate representation between the domain graph and haproxy.cfg text: what HAProxy
 * should do, already decided (defaults applied, disabled and invalid objects left out, names and
 * values escaped into Words), but not yet how it is spelled. Immutable plain data with a `kind`
 * on every union member, so it serialises to JSON for debugging and the emitter's switches are
 * checked for exhaustiveness by the compiler. A leaf module: it imports nothing but types.
 */
import type { Word } from './escape.js';

export interface HaproxyConfigIR {
  readonly kind: 'haproxy-config';
  readonly loadBalancerId: string;
  /** Global, defaults, optional peers, then each listener's frontend followed by its backends. */
  readonly sections: readonly Section[];
}

export type Section = GlobalSection | DefaultsSection | PeersSection | Frontend | Backend;

export interface GlobalSection {
  readonly kind: 'global';
  readonly logTargets: readonly LogTarget[];
  readonly statsSocket: Word;
  readonly serverStateFile: Word;
  readonly maxconn: number;
  readonly nbthread: number;
  readonly hardStopAfterSeconds: number;
  /** PING health monitors fork a helper: `external-check` (+ `insecure-fork-wanted` on >= 2.2). */
  readonly externalCheck: boolean;
  readonly insecureForkWanted: boolean;
}

export interface LogTarget {
  readonly kind: 'log-target';
  readonly target: Word;
  readonly facility: 'local0' | 'local1';
  readonly minLevel: 'notice' | null;
}

export interface DefaultsSection {
  readonly kind: 'defaults';
  /** `log global` when connections are logged somewhere, `no log` otherwise. */
  readonly logGlobal: boolean;
  readonly retries: number;
}

export interface PeersSection {
  readonly kind: 'peers';
  readonly name: Word;
  readonly peers: readonly Peer[];
}

export interface Peer {
  readonly kind: 'peer';
  readonly name: Word;
  readonly address: Word;
  readonly port: number;
}

export type TlsVersionOption = 'no-sslv3' | 'no-tlsv10' | 'no-tlsv11' | 'no-tlsv12' | 'no-tlsv13';

/** A file under the amphora's certificate directory that the config names. */
export interface TlsFileRef {
  readonly kind: 'tls-file';
  /** File name inside `<base_cert_dir>/<lb_id>/`. */
  readonly name: string;
  readonly path: Word;
}

export interface Frontend {
  readonly kind: 'frontend';
  readonly listenerId: string;
  readonly name: Word;
  readonly maxconn: number;
  readonly binds: readonly Bind[];
  readonly mode: ProxyMode;
  /** Networks allowed to connect; null = everyone. */
  readonly allowedCidrs: readonly Word[] | null;
  /** TERMINATED_HTTPS: `redirect scheme https if !{ ssl_fc }`. */
  readonly redirectToHttps: boolean;
  readonly hsts: Hsts | null;
  readonly idleCloseOnResponse: boolean;
  readonly acls: readonly L7Acl[];
  /** Ordered as HAProxy evaluates them: denies, then redirects, then backend switching. */
  readonly rules: readonly FrontendRule[];
  readonly prometheusExporter: boolean;
  readonly defaultBackend: Word | null;
  readonly timeoutClient: number;
  readonly inspectDelay: number | null;
  readonly logFormat: Word | null;
}

export type ProxyMode = 'http' | 'tcp';

export interface Bind {
  readonly kind: 'bind';
  readonly address: Word;
  readonly port: number;
  readonly tls: BindTls | null;
}

export interface BindTls {
  readonly kind: 'bind-tls';
  readonly crtList: TlsFileRef;
  readonly clientCa: TlsFileRef | null;
  readonly verify: 'none' | 'optional' | 'required' | null;
  readonly crl: TlsFileRef | null;
  readonly ciphers: Word | null;
  readonly versionOptions: readonly TlsVersionOption[];
  readonly alpn: Word | null;
}

export interface Hsts {
  readonly kind: 'hsts';
  readonly maxAge: number;
  readonly includeSubdomains: boolean;
  readonly preload: boolean;
}

/** One L7 rule as an ACL named after the rule id. */
export interface L7Acl {
  readonly kind: 'l7-acl';
  readonly name: Word;
  readonly test: AclTest;
}

export type Matcher = 'reg' | 'beg' | 'end' | 'sub' | 'str';

export type AclTest =
  | { readonly kind: 'host-name'; readonly matcher: Matcher; readonly value: Word }
  | { readonly kind: 'path'; readonly matcher: Matcher; readonly value: Word }
  /** `matcher: null` = plain suffix match (`path_end <v>`; `-m str` does not work there). */
  | { readonly kind: 'file-type'; readonly matcher: Matcher | null; readonly value: Word }
  | { readonly kind: 'header'; readonly name: Word; readonly matcher: Matcher; readonly value: Word }
  | { readonly kind: 'cookie'; readonly name: Word; readonly matcher: Matcher; readonly value: Word }
  | { readonly kind: 'ssl-conn-has-cert' }
  | { readonly kind: 'ssl-verify-result'; readonly result: number }
  | { readonly kind: 'ssl-dn-field'; readonly field: Word; readonly matcher: Matcher; readonly value: Word };

/** ACL names AND-ed together; `negate` = the rule's invert. */
export type Condition = readonly { readonly acl: Word; readonly negate: boolean }[];

export type FrontendRule =
  | { readonly kind: 'deny'; readonly policyId: string; readonly condition: Condition }
  | {
      readonly kind: 'redirect-location';
      readonly policyId: string;
      readonly url: Word;
      readonly code: number | null;
      readonly condition: Condition;
    }
  | {
      readonly kind: 'redirect-prefix';
      readonly policyId: string;
      readonly prefix: Word;
      readonly code: number | null;
      readonly condition: Condition;
    }
  | { readonly kind: 'use-backend'; readonly policyId: string; readonly backend: Word; readonly condition: Condition };

export interface Backend {
  readonly kind: 'backend';
  readonly poolId: string;
  readonly listenerId: string;
  readonly name: Word;
  readonly mode: ProxyMode;
  readonly httpReuseSafe: boolean;
  readonly balance: Balance;
  readonly persistence: Persistence | null;
  readonly loadServerState: boolean;
  readonly healthCheck: HealthCheck | null;
  readonly headers: readonly HeaderInsertion[];
  /** L7 retries (`retry-on conn-failure empty-response response-timeout`), HTTP backends only. */
  readonly l7Retries: boolean;
  readonly fullconn: number;
  readonly timeoutConnect: number;
  readonly timeoutServer: number;
  readonly servers: readonly Server[];
}

export type Balance =
  | { readonly kind: 'roundrobin' }
  | { readonly kind: 'leastconn' }
  | { readonly kind: 'source' }
  /** Hash of source address and port (HAProxy >= 2.6 `balance hash`). */
  | { readonly kind: 'source-ip-port' };

export type Persistence =
  | { readonly kind: 'stick-source-ip'; readonly size: Word; readonly peers: Word | null }
  | { readonly kind: 'stick-app-cookie'; readonly cookieName: Word; readonly size: Word; readonly peers: Word | null }
  | { readonly kind: 'insert-cookie' };

export type HealthCheck =
  | {
      readonly kind: 'http-check';
      readonly timeoutSeconds: number;
      readonly method: Word;
      readonly path: Word;
      readonly version: '1.0' | '1.1' | null;
      /** Host header (HTTP/1.1 only), already log-format escaped. */
      readonly host: Word | null;
      /** `rstatus` regular expression, e.g. `200|201|202`. */
      readonly expectStatus: Word;
    }
  | { readonly kind: 'tcp-check'; readonly timeoutSeconds: number }
  | { readonly kind: 'tls-hello-check'; readonly timeoutSeconds: number }
  | { readonly kind: 'ping-check'; readonly timeoutSeconds: number; readonly command: Word };

export type HeaderInsertion =
  | { readonly kind: 'forwardfor' }
  /** `http-request set-header <name> <log-format value>`; both are renderer constants. */
  | { readonly kind: 'set-header'; readonly name: Word; readonly value: Word };

export interface Server {
  readonly kind: 'server';
  readonly memberId: string;
  readonly name: Word;
  readonly address: Word;
  readonly port: number;
  readonly weight: number;
  readonly check: ServerCheck | null;
  readonly cookie: Word | null;
  readonly proxyProtocol: 'v1' | 'v2' | 'v2-ssl-cn' | null;
  readonly backup: boolean;
  readonly disabled: boolean;
  readonly tls: ServerTls | null;
}

export interface ServerCheck {
  readonly kind: 'server-check';
  /** HTTPS health monitors: `check-ssl verify none`. */
  readonly ssl: boolean;
  readonly alpn: Word | null;
  readonly interSeconds: number;
  readonly fall: number;
  readonly rise: number;
  readonly address: Word | null;
  readonly port: number | null;
}

export interface ServerTls {
  readonly kind: 'server-tls';
  readonly clientCertificate: TlsFileRef | null;
  readonly ca: TlsFileRef | null;
  readonly crl: TlsFileRef | null;
  readonly ciphers: Word | null;
  readonly versionOptions: readonly TlsVersionOption[];
  readonly alpn: Word | null;
}
