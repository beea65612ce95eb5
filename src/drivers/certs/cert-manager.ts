/**
 * Certificate managers resolve the TLS container references users give listeners and pools
 * (`default_tls_container_ref`, `sni_container_refs`, `client_ca_tls_container_ref`, ...) into PEM
 * material. Upstream's default is Barbican; `local_cert_manager` keeps containers as files.
 */

export interface TlsContainer {
  /** PEM of the leaf certificate. */
  readonly certificate: string;
  /** PEM private key (decrypted), or null for CA / CRL containers. */
  readonly privateKey: string | null;
  readonly intermediates: readonly string[];
  /** Common name of the certificate, used for SNI. */
  readonly primaryCn: string | null;
}

export interface CertManager {
  /**
   * Loads a certificate container. `projectId` is the owner of the object being configured.
   * Throws DomainError('certificate_retrieval') when the reference cannot be read or parsed.
   */
  getCertificate(projectId: string | null, ref: string): Promise<TlsContainer>;
  /** Loads a plain secret (a CA bundle or a CRL) as PEM text. Same errors as getCertificate. */
  getSecret(projectId: string | null, ref: string): Promise<string>;
}
