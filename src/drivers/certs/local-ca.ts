/**
 * The internal PKI: a CA created at first start under `<state_path>/pki/` (private key encrypted at
 * rest with `[certificates] ca_private_key_passphrase`), ECDSA P-256 throughout. The same CA signs
 * the controller's client certificate and the amphorae's server certificates (upstream's default
 * deployment also uses one CA for both directions).
 */
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Clock } from '../../lib/clock.js';
import type { CertGenerator, IssuedCertificate } from './cert-generator.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_VALIDITY_MS = 10 * 365 * 86_400_000;

export interface LocalCaOptions {
  /** Directory that holds ca.pem, ca.key (encrypted), client.pem. Created if missing. */
  readonly directory: string;
  /** Passphrase of the CA key at rest. */
  readonly passphrase: string;
  /** Lifetime of issued certificates (upstream `[certificates] cert_validity_time`). */
  readonly validityMs: number;
  readonly clock: Clock;
  /** Use an operator's CA instead of generating one (both PEM files). */
  readonly caCertificateFile?: string | null;
  readonly caPrivateKeyFile?: string | null;
}

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly pem: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function importKey(pem: string, passphrase: string | undefined): Promise<CryptoKey> {
  const der = createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) }).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']) as Promise<CryptoKey>;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

export class LocalCa implements CertGenerator {
  readonly #o: LocalCaOptions;
  #ca: Promise<Ca> | null = null;
  #client: Promise<IssuedCertificate> | null = null;

  constructor(options: LocalCaOptions) {
    this.#o = options;
  }

  /** Loads the CA, creating it (atomically, once) when the directory has none. */
  #load(): Promise<Ca> {
    this.#ca ??= (async () => {
      const o = this.#o;
      if (o.caCertificateFile && o.caPrivateKeyFile) {
        const pem = readFileSync(o.caCertificateFile, 'utf8');
        return { cert: new x509.X509Certificate(pem), key: await importKey(readFileSync(o.caPrivateKeyFile, 'utf8'), o.passphrase), pem };
      }
      mkdirSync(o.directory, { recursive: true, mode: 0o700 });
      const certFile = join(o.directory, 'ca.pem');
      const keyFile = join(o.directory, 'ca.key');
      if (!existsSync(certFile) || !existsSync(keyFile)) {
        const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
        const now = o.clock.now();
        const cert = await x509.X509CertificateGenerator.createSelfSigned({
          serialNumber: serial(),
          name: 'CN=Octavius internal CA',
          notBefore: new Date(now - 60_000),
          notAfter: new Date(now + CA_VALIDITY_MS),
          keys,
          signingAlgorithm: ALG,
          extensions: [
            new x509.BasicConstraintsExtension(true, 0, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          ],
        });
        const keyPem = createPrivateKey(await exportKeyPem(keys.privateKey)).export({
          format: 'pem',
          type: 'pkcs8',
          cipher: 'aes-256-cbc',
          passphrase: o.passphrase,
        });
        // Write both under temporary names and rename: another process starting at the same time
        // either sees a complete CA or none.
        const tmp = randomBytes(4).toString('hex');
        writeFileSync(`${keyFile}.${tmp}`, keyPem, { mode: 0o600 });
        writeFileSync(`${certFile}.${tmp}`, cert.toString('pem'), { mode: 0o644 });
        if (!existsSync(certFile)) {
          renameSync(`${keyFile}.${tmp}`, keyFile);
          renameSync(`${certFile}.${tmp}`, certFile);
        }
      }
      chmodSync(keyFile, 0o600);
      const pem = readFileSync(certFile, 'utf8');
      return { cert: new x509.X509Certificate(pem), key: await importKey(readFileSync(keyFile, 'utf8'), o.passphrase), pem };
    })();
    return this.#ca;
  }

  async #issue(commonName: string, usage: 'server' | 'client'): Promise<IssuedCertificate> {
    const ca = await this.#load();
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = this.#o.clock.now();
    const expiresAt = now + this.#o.validityMs;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${commonName}`,
      issuer: ca.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(expiresAt),
      signingKey: ca.key,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
        ...(usage === 'server' ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: commonName }])] : []),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      ],
    });
    return {
      certificatePem: cert.toString('pem'),
      privateKeyPem: await exportKeyPem(keys.privateKey),
      expiresAt: Math.floor(expiresAt / 1000) * 1000,
    };
  }

  issueAmphoraCertificate(amphoraId: string): Promise<IssuedCertificate> {
    return this.#issue(amphoraId, 'server');
  }

  controllerCertificate(): Promise<IssuedCertificate> {
    // One per process; renewed whenever a process starts (it is never written to disk).
    this.#client ??= this.#issue('octavius-controller', 'client');
    return this.#client;
  }

  async clientCaPem(): Promise<string> {
    return (await this.#load()).pem;
  }

  async serverCaPem(): Promise<string> {
    return (await this.#load()).pem;
  }
}
