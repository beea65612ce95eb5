/**
 * The local certificate manager (`[certificates] cert_manager = local_cert_manager`): TLS containers
 * are files in one storage directory, named after the reference, as upstream's local manager keeps
 * them — `<ref>.crt` (certificate, or the whole secret for CA bundles and CRLs), `<ref>.key`
 * (private key), optional `<ref>.int` (intermediates, PEM or PKCS#7) and optional `<ref>.pass`
 * (passphrase of the key). Unlike upstream it parses what it reads, so a reference that points at
 * garbage is refused when the API validates it rather than when an amphora is configured.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError, Errors } from '../../domain/errors.js';
import { pemBlocks, pkcs7Certificates } from '../../lib/der.js';
import type { CertManager, TlsContainer } from './cert-manager.js';

export interface LocalCertManagerOptions {
  /** Directory holding the `<ref>.*` files. */
  readonly storagePath: string;
}

/** What may name a file in the storage directory: no path separators, no dot-only names. */
function isSafeRef(ref: string): boolean {
  return ref !== '' && ref !== '.' && ref !== '..' && !/[/\\\x00-\x1f\x7f]/.test(ref);
}

export class LocalCertManager implements CertManager {
  readonly #storagePath: string;

  constructor(options: LocalCertManagerOptions) {
    this.#storagePath = options.storagePath;
  }

  /** The file `<ref><suffix>`; null when missing or unreadable, or when the ref is not a plain name. */
  async #read(ref: string, suffix: string): Promise<Buffer | null> {
    // Upstream joins the reference onto the storage path as is; a reference is user input, so
    // anything that could leave the directory is refused instead.
    if (!isSafeRef(ref)) return null;
    try {
      return await readFile(join(this.#storagePath, `${ref}${suffix}`));
    } catch {
      return null;
    }
  }

  async getCertificate(_projectId: string | null, ref: string): Promise<TlsContainer> {
    const fail = (why: string, cause?: unknown): DomainError =>
      new DomainError('certificate_retrieval', Errors.certificateRetrieval(ref).message, {
        operatorMessage: `certificate ${ref}: ${why}`,
        cause,
      });
    const certText = await this.#read(ref, '.crt');
    if (certText === null) throw fail('Certificate could not be read.');
    const keyText = await this.#read(ref, '.key');
    if (keyText === null) throw fail('Private Key could not be read.');
    const intermediatesText = await this.#read(ref, '.int');
    const passphrase = (await this.#read(ref, '.pass'))?.toString('utf8') ?? null;

    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certText);
    } catch (err) {
      throw fail('the certificate is not a PEM X.509 certificate', err);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(passphrase === null ? { key: keyText } : { key: keyText, passphrase });
    } catch (err) {
      throw fail('the private key cannot be read (wrong or missing passphrase?)', err);
    }
    if (!cert.checkPrivateKey(key)) throw fail('the private key does not belong to the certificate');
    let intermediates: string[] = [];
    if (intermediatesText !== null) {
      try {
        intermediates = parseIntermediates(intermediatesText);
      } catch (err) {
        throw fail('the intermediates cannot be parsed', err);
      }
    }
    const cn = commonName(cert);
    if (cn === null && !/DNS:/.test(cert.subjectAltName ?? '')) {
      throw fail('No CN or DNSName(s) found in certificate. The certificate is invalid.');
    }
    return {
      certificate: cert.toString(),
      privateKey: exportTraditional(key),
      intermediates,
      primaryCn: cn,
    };
  }

  async getSecret(_projectId: string | null, ref: string): Promise<string> {
    const text = await this.#read(ref, '.crt');
    if (text === null) throw Errors.certificateRetrieval(ref);
    return text.toString('utf8');
  }
}

/** PEM certificates of an intermediates file: PEM blocks, or a PKCS#7 bundle (PEM or DER). */
function parseIntermediates(data: Buffer): string[] {
  const text = data.toString('latin1');
  const pems = pemBlocks(text, 'CERTIFICATE');
  if (pems.length > 0) return pems.map((der) => new X509Certificate(der).toString());
  const p7 = pemBlocks(text, 'PKCS7');
  const ders = p7.length > 0 ? p7.flatMap(pkcs7Certificates) : pkcs7Certificates(data);
  return ders.map((der) => new X509Certificate(der).toString());
}

/** The first CN of the subject, lower-cased as upstream compares host names. */
function commonName(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3).toLowerCase();
  }
  return null;
}

/** The unencrypted key in OpenSSL's traditional format where one exists (as upstream writes it). */
function exportTraditional(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return key.export({ format: 'pem', type: 'pkcs1' }).toString();
  if (type === 'ec') return key.export({ format: 'pem', type: 'sec1' }).toString();
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
