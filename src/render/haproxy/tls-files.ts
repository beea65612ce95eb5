/**
 * Certificate files a rendered config refers to, all in `<base_cert_dir>/<lb_id>/` on the amphora:
 *   `<listener_id>.pem`  crt-list of a TLS-terminating listener (upstream's name), listing
 *   `<sha1>.pem`         one per certificate container (default and SNI): certificate,
 *                        intermediates and key,
 *   `<sha1>.pem`         one per CA bundle or CRL secret, as stored,
 *   `<pool_id>.pem`      a pool's client certificate and key.
 * Container file names derive from the reference (upstream derives CA/CRL names from the content,
 * which a pure renderer does not have); the kind is part of the hash, so one reference used both
 * as a certificate and as a CA gives two files.
 */
import { createHash } from 'node:crypto';
import type { TlsFileRef } from './ir.js';
import type { Word } from './escape.js';

export type TlsFileContent =
  /** PEM of the container's certificate, its intermediates, then its private key. */
  | { readonly kind: 'certificate'; readonly ref: string }
  /** The secret (CA bundle or CRL) exactly as the certificate manager returns it. */
  | { readonly kind: 'secret'; readonly ref: string }
  /** Written as is. */
  | { readonly kind: 'crt-list'; readonly text: string };

export interface TlsFile {
  /** File name inside `<base_cert_dir>/<lb_id>/`; what the driver PUTs to `/certificates/<name>`. */
  readonly name: string;
  readonly content: TlsFileContent;
}

function hashed(kind: string, ref: string): string {
  return `${createHash('sha1').update(`${kind}\n${ref}`).digest('hex')}.pem`;
}

export function certificateFileName(ref: string): string {
  return hashed('certificate', ref);
}

export function secretFileName(ref: string): string {
  return hashed('secret', ref);
}

/** The files one render refers to, each once, sorted by name. */
export class TlsFileSet {
  readonly #dir: string;
  readonly #files = new Map<string, TlsFile>();

  /** `dir` = `<base_cert_dir>/<lb_id>`, already checked to be a plain path. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  pathOf(name: string): string {
    return `${this.#dir}/${name}`;
  }

  add(file: TlsFile): TlsFileRef {
    this.#files.set(file.name, file);
    // The directory is a plain path and names are ids or hex: nothing to escape.
    return { kind: 'tls-file', name: file.name, path: this.pathOf(file.name) as Word };
  }

  certificate(ref: string): TlsFileRef {
    return this.add({ name: certificateFileName(ref), content: { kind: 'certificate', ref } });
  }

  secret(ref: string): TlsFileRef {
    return this.add({ name: secretFileName(ref), content: { kind: 'secret', ref } });
  }

  /** A listener's crt-list: the default certificate first, then the SNI certificates. */
  crtList(listenerId: string, refs: readonly string[]): TlsFileRef {
    const lines = [...new Set(refs)].map((ref) => this.certificate(ref)).map((f) => f.path);
    return this.add({ name: `${listenerId}.pem`, content: { kind: 'crt-list', text: `${lines.join('\n')}\n` } });
  }

  poolCertificate(poolId: string, ref: string): TlsFileRef {
    return this.add({ name: `${poolId}.pem`, content: { kind: 'certificate', ref } });
  }

  toArray(): readonly TlsFile[] {
    return [...this.#files.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
