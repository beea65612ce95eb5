/**
 * TLS settings of listeners (and the parts pools share): certificate references resolved through
 * the certificate manager, cipher strings, TLS versions, ALPN, client authentication with its CA
 * and revocation list, and HSTS (spec §2.2). Messages are upstream's, including its Python list
 * renderings. Cipher strings reach HAProxy's configuration, so their character set is checked
 * whatever the protocol.
 */
import { X509Certificate } from 'node:crypto';
import { Errors, pyRepr } from '../../domain/errors.js';
import { ALPN_PROTOCOLS, TLS_VERSIONS, isTlsOffload, type ClientAuthentication, type ListenerProtocol } from '../../domain/listener.js';
import { crlSignedBy, parseCrl, pemBlocks } from '../../lib/der.js';
import type { ApiDeps } from '../deps.js';
import { has, type Json } from './common.js';

type ApiSettings = Pick<ApiDeps['config']['api_settings'], 'tls_cipher_prohibit_list' | 'minimum_tls_version'>;

const VALID_CIPHERS = /^[A-Za-z0-9\-+!:@=_.]+$/;

/** Cipher strings may only hold OpenSSL cipher-list characters. */
export function checkCipherString(ciphers: string): void {
  if (!VALID_CIPHERS.test(ciphers)) {
    throw Errors.validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.');
  }
}

/** Ciphers of `ciphers` that `[api_settings] tls_cipher_prohibit_list` forbids (after the charset check). */
export function prohibitedCiphers(api: ApiSettings, ciphers: string): string[] {
  checkCipherString(ciphers);
  const prohibited = api.tls_cipher_prohibit_list.split(':');
  return ciphers.split(':').filter((c) => prohibited.includes(c));
}

/** Upstream's check of a user cipher string: nothing to check for empty/unset strings. */
export function checkCiphers(api: ApiSettings, ciphers: string | null | undefined): void {
  if (!ciphers) return;
  const rejected = prohibitedCiphers(api, ciphers);
  if (rejected.length > 0) {
    throw Errors.validation(`The following ciphers have been prohibited by an administrator: ${rejected.join(', ')}`);
  }
}

/** A user TLS version list: not empty, every entry known. null means "use the default". */
export function checkTlsVersionList(versions: readonly (string | null)[] | null | undefined): void {
  if (versions === null || versions === undefined) return;
  if (versions.length === 0) {
    throw Errors.validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.');
  }
  const invalid = versions.filter((v) => !(TLS_VERSIONS as readonly (string | null)[]).includes(v));
  if (invalid.length > 0) throw Errors.validation(`Invalid TLS versions: ${invalid.map((v) => v ?? 'None').join(', ')}`);
}

/** Versions below `[api_settings] minimum_tls_version` are refused. */
export function checkTlsVersionMin(
  api: ApiSettings,
  versions: readonly (string | null)[] | null | undefined,
  message = 'Requested TLS versions are less than the minimum: ',
): void {
  const min = api.minimum_tls_version;
  if (!min || !versions) return;
  const order = TLS_VERSIONS as readonly (string | null)[];
  const rejected = versions.filter((v) => order.includes(v) && order.indexOf(v) < order.indexOf(min));
  if (rejected.length > 0) throw Errors.validation(`${message}${rejected.join(', ')} < ${min}`);
}

/** A user ALPN list: not empty, every entry known. null means "use the default". */
export function checkAlpnProtocols(protocols: readonly (string | null)[] | null | undefined): void {
  if (protocols === null || protocols === undefined) return;
  if (protocols.length === 0) {
    throw Errors.validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.');
  }
  const invalid = protocols.filter((p) => !(ALPN_PROTOCOLS as readonly (string | null)[]).includes(p));
  if (invalid.length > 0) throw Errors.validation(`Invalid ALPN protocol: ${invalid.map((p) => p ?? 'None').join(', ')}`);
}

/**
 * Every reference must be readable by the certificate manager; the error lists all unreadable
 * ones, as upstream does (`Could not retrieve certificate: ['a', 'b']`).
 */
export async function validateTlsRefs(deps: ApiDeps, projectId: string | null, refs: readonly (string | null)[]): Promise<void> {
  const bad: (string | null)[] = [];
  for (const ref of refs) {
    try {
      if (ref === null) throw Errors.certificateRetrieval('None');
      await deps.certificates.getCertificate(projectId, ref);
    } catch {
      bad.push(ref);
    }
  }
  if (bad.length > 0) throw Errors.certificateRetrieval(pyRepr(bad));
}

const PEM_FAQ = 'Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming';

/** The DER of the first `label` PEM block, or the error text Python's cryptography gives. */
function firstPem(text: string, label: string, kind: string): Buffer | string {
  if (!/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/.test(text)) return PEM_FAQ;
  let blocks: Buffer[];
  try {
    blocks = label === 'CERTIFICATE' ? [...pemBlocks(text, 'CERTIFICATE'), ...pemBlocks(text, 'X509 CERTIFICATE')] : pemBlocks(text, label);
  } catch {
    return PEM_FAQ;
  }
  if (blocks.length === 0) return `Valid PEM but no BEGIN ${label}/END ${label} delimiters. Are you sure this is a ${kind}?`;
  return blocks[0]!;
}

/**
 * The client CA must be a PEM certificate; a revocation list, when given, must be a PEM CRL signed
 * by that CA. Both references must be readable.
 */
export async function validateClientCaAndCrl(
  deps: ApiDeps,
  projectId: string | null,
  caRef: string,
  crlRef: string | null,
): Promise<void> {
  const bad: string[] = [];
  let caPem = '';
  let crlPem: string | null = null;
  try {
    caPem = await deps.certificates.getSecret(projectId, caRef);
  } catch {
    bad.push(caRef);
  }
  if (crlRef) {
    try {
      crlPem = await deps.certificates.getSecret(projectId, crlRef);
    } catch {
      bad.push(crlRef);
    }
  }
  if (bad.length > 0) throw Errors.certificateRetrieval(pyRepr(bad));

  let ca: X509Certificate;
  const caDer = firstPem(caPem, 'CERTIFICATE', 'certificate');
  try {
    if (typeof caDer === 'string') throw new Error(caDer);
    try {
      ca = new X509Certificate(caDer);
    } catch (err) {
      throw new Error(`error parsing asn1 value: ${(err as Error).message}`);
    }
  } catch (err) {
    throw Errors.validation(
      `The client authentication CA certificate is invalid. It must be a valid x509 PEM format certificate. Error: ${(err as Error).message}`,
    );
  }
  if (crlPem === null) return;
  const crlInvalid = (why: string) =>
    Errors.validation(
      `The client authentication certificate revocation list is invalid. It must be a valid x509 PEM format certificate revocation list. Error: ${why}`,
    );
  const crlDer = firstPem(crlPem, 'X509 CRL', 'CRL');
  if (typeof crlDer === 'string') throw crlInvalid(crlDer);
  let crl;
  try {
    crl = parseCrl(crlDer);
  } catch (err) {
    throw crlInvalid(`error parsing asn1 value: ${(err as Error).message}`);
  }
  if (!crlSignedBy(crl, ca.publicKey)) {
    throw Errors.validation('The CRL specified is not valid for client certificate authority reference supplied.');
  }
}

/** The TLS-related attributes of a listener being created (API names, after defaults). */
export interface ListenerTlsDraft {
  readonly protocol: ListenerProtocol;
  readonly defaultTlsContainerRef: string | null;
  readonly sniContainerRefs: readonly (string | null)[];
  readonly clientCaTlsContainerRef: string | null;
  readonly clientAuthentication: ClientAuthentication | null;
  readonly clientCrlContainerRef: string | null;
  readonly tlsCiphers: string | null;
  readonly tlsVersions: readonly string[] | null;
  readonly alpnProtocols: readonly string[] | null;
  readonly hstsMaxAge: number | null;
  readonly hstsIncludeSubdomains: boolean;
  readonly hstsPreload: boolean;
}

/**
 * Upstream's `_has_tls_container_refs`: the default certificate or SNI certificates. (Upstream
 * means to count the client CA too but misspells its key, so a client CA alone does not count.)
 */
const hasCertRefs = (d: { defaultTlsContainerRef: unknown; sniContainerRefs: readonly unknown[] | null }): boolean =>
  !!d.defaultTlsContainerRef || (d.sniContainerRefs?.length ?? 0) > 0;

/**
 * The TLS rules of listener create that precede the port and CIDR checks, in upstream's order:
 * UDP/SCTP without TLS, deployment switches, certificates only on TLS-offloading listeners and
 * required there, client authentication needing a CA and a CRL needing a CA, ciphers, then the
 * references themselves.
 */
export async function validateListenerTlsCreate(deps: ApiDeps, projectId: string | null, d: ListenerTlsDraft): Promise<void> {
  const api = deps.config.api_settings;
  const refs = hasCertRefs(d);
  const offload = isTlsOffload(d.protocol, refs);
  if ((d.protocol === 'UDP' || d.protocol === 'SCTP') && refs) {
    throw Errors.validation(`${d.protocol} protocol listener does not support TLS.`);
  }
  if (!api.allow_tls_terminated_listeners && offload) {
    throw Errors.disabledOption('protocol', d.protocol === 'PROMETHEUS' ? 'PROMETHEUS with TLS' : d.protocol);
  }
  if (!api.allow_prometheus_listeners && d.protocol === 'PROMETHEUS') throw Errors.disabledOption('protocol', 'PROMETHEUS');
  if (!offload && refs) {
    throw Errors.validation(`Certificate container references are not allowed on ${d.protocol} protocol listeners.`);
  }
  if (d.clientCaTlsContainerRef && !refs) {
    throw Errors.validation('An SNI or default certificate container reference must be provided with a client CA container reference.');
  }
  if (offload && !refs) {
    throw Errors.validation(`An SNI or default certificate container reference must be provided for ${d.protocol} protocol listeners.`);
  }
  if (d.clientAuthentication !== 'NONE' && !d.clientCaTlsContainerRef) {
    throw Errors.validation(`Client authentication setting ${d.clientAuthentication ?? 'None'} requires a client CA container reference.`);
  }
  if (d.clientCrlContainerRef && !d.clientCaTlsContainerRef) {
    throw Errors.validation('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
  checkCiphers(api, d.tlsCiphers);
  const tlsRefs = [...d.sniContainerRefs, ...(d.defaultTlsContainerRef ? [d.defaultTlsContainerRef] : [])];
  await validateTlsRefs(deps, projectId, tlsRefs);
  if (d.clientCaTlsContainerRef) await validateClientCaAndCrl(deps, projectId, d.clientCaTlsContainerRef, d.clientCrlContainerRef);
}

/** The TLS rules of listener create that follow the port and CIDR checks: versions, ALPN, HSTS. */
export function validateListenerTlsProtocolsCreate(deps: ApiDeps, d: ListenerTlsDraft): void {
  const api = deps.config.api_settings;
  if (isTlsOffload(d.protocol, hasCertRefs(d))) {
    checkTlsVersionList(d.tlsVersions);
    checkTlsVersionMin(api, d.tlsVersions);
    checkAlpnProtocols(d.alpnProtocols);
  }
  if ((d.hstsIncludeSubdomains || d.hstsPreload) && d.hstsMaxAge === null) {
    throw Errors.validation(
      'HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.',
    );
  }
  if (d.hstsMaxAge !== null && d.protocol !== 'TERMINATED_HTTPS') {
    throw Errors.validation('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.');
  }
}

/** The stored listener as the update rules need it. */
export interface StoredListenerTls {
  readonly protocol: ListenerProtocol;
  readonly clientCaTlsContainerRef: string | null;
  readonly clientCrlContainerRef: string | null;
  readonly hstsMaxAge: number | null;
}

/**
 * The TLS rules of a listener PUT that precede the CIDR check (`body` is the decoded PUT object:
 * absent attributes are unset, explicit nulls present).
 */
export async function validateListenerTlsUpdate(
  deps: ApiDeps,
  projectId: string | null,
  body: Json,
  db: StoredListenerTls,
  checkInsertHeaders: () => void,
): Promise<void> {
  const refs = hasCertRefs({
    defaultTlsContainerRef: body['default_tls_container_ref'],
    sniContainerRefs: (body['sni_container_refs'] as unknown[] | null | undefined) ?? null,
  });
  const offload = isTlsOffload(db.protocol, refs);
  const headers = body['insert_headers'] as Json | null | undefined;
  const hasHeaders = !!headers && Object.keys(headers).length > 0;
  if ((db.protocol === 'UDP' || db.protocol === 'SCTP') && (refs || hasHeaders)) {
    throw Errors.validation(`${db.protocol} protocol listener does not support TLS or header insertion.`);
  }
  if (!offload && refs) {
    throw Errors.validation(`Certificate container references are not allowed on ${db.protocol} protocol listeners.`);
  }
  if (has(body, 'client_authentication') && body['client_authentication'] !== 'NONE') {
    if (!(db.clientCaTlsContainerRef || body['client_ca_tls_container_ref'])) {
      throw Errors.validation(
        `Client authentication setting ${(body['client_authentication'] as string | null) ?? 'None'} requires a client CA container reference.`,
      );
    }
  }
  if (hasHeaders) checkInsertHeaders();
  const sni = (body['sni_container_refs'] as (string | null)[] | null | undefined) ?? [];
  const defaultRef = body['default_tls_container_ref'] as string | null | undefined;
  await validateTlsRefs(deps, projectId, [...sni, ...(defaultRef ? [defaultRef] : [])]);
  const caRef = (body['client_ca_tls_container_ref'] as string | null | undefined) || db.clientCaTlsContainerRef;
  const crlRef = (body['client_crl_container_ref'] as string | null | undefined) || db.clientCrlContainerRef;
  if (crlRef && !caRef) {
    throw Errors.validation('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
  if (caRef) await validateClientCaAndCrl(deps, projectId, caRef, crlRef);
}

/** The TLS rules of a listener PUT that follow the CIDR check: ciphers, versions, ALPN, HSTS. */
export function validateListenerTlsProtocolsUpdate(deps: ApiDeps, body: Json, db: StoredListenerTls): void {
  const api = deps.config.api_settings;
  checkCiphers(api, body['tls_ciphers'] as string | null | undefined);
  if (has(body, 'tls_versions')) {
    const versions = body['tls_versions'] as string[] | null;
    checkTlsVersionList(versions);
    checkTlsVersionMin(api, versions);
  }
  if (has(body, 'alpn_protocols')) checkAlpnProtocols(body['alpn_protocols'] as string[] | null);
  const maxAge = body['hsts_max_age'];
  const hstsDisabled = db.hstsMaxAge === null && (maxAge === undefined || maxAge === null);
  if ((body['hsts_include_subdomains'] || body['hsts_preload']) && hstsDisabled) {
    throw Errors.validation('Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.');
  }
  if (typeof maxAge === 'number' && db.protocol !== 'TERMINATED_HTTPS') {
    throw Errors.validation('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.');
  }
}
