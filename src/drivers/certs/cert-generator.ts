/**
 * The internal PKI (upstream's local_cert_generator): one CA created at first start, which signs the
 * controller's client certificate and one server certificate per amphora (CN and SAN = the amphora
 * id). Agents trust only the CA for clients; the controller trusts only the CA for servers and checks
 * that a server's identity is the amphora id it meant to reach.
 */

export interface IssuedCertificate {
  /** PEM of the leaf certificate. */
  readonly certificatePem: string;
  /** PEM of its private key (unencrypted; kept in memory or on tmpfs only). */
  readonly privateKeyPem: string;
  /** Epoch milliseconds of notAfter. */
  readonly expiresAt: number;
}

export interface CertGenerator {
  /** A fresh ECDSA P-256 server certificate for an amphora's agent. */
  issueAmphoraCertificate(amphoraId: string): Promise<IssuedCertificate>;
  /** The controller's client certificate, presented to agents. */
  controllerCertificate(): Promise<IssuedCertificate>;
  /** PEM of the CA agents verify controller certificates with. */
  clientCaPem(): Promise<string>;
  /** PEM of the CA the controller verifies agent certificates with. */
  serverCaPem(): Promise<string>;
}
