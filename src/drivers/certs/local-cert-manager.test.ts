/**
 * LocalCertManager against certificates made by the openssl CLI in a temporary storage directory:
 * the file layout upstream uses, passphrase-protected keys, PEM and PKCS#7 intermediates, and the
 * references it must refuse.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isDomainError } from '../../domain/errors.js';
import { LocalCertManager } from './local-cert-manager.js';

let dir: string;
let store: string;
let manager: LocalCertManager;

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'octavius-certs-'));
  store = join(dir, 'store');
  execFileSync('mkdir', [store]);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/O=Org/CN=WWW.Example.COM');
  openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2');
  openssl('crl2pkcs7', '-nocrl', '-certfile', 'ca.crt', '-out', 'chain.p7b');
  openssl('crl2pkcs7', '-nocrl', '-certfile', 'ca.crt', '-outform', 'DER', '-out', 'chain.p7b.der');
  // An EC certificate whose key is encrypted with a passphrase.
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec-plain.key');
  openssl('ec', '-in', 'ec-plain.key', '-aes256', '-passout', 'pass:s3cret', '-out', 'ec.key');
  openssl('req', '-x509', '-key', 'ec-plain.key', '-out', 'ec.crt', '-days', '2', '-subj', '/CN=ec.example.org');
  // A certificate with no CN, only a DNS subject alternative name.
  openssl(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'san.key', '-out', 'san.crt', '-days', '2',
    '-subj', '/O=NoCommonName', '-addext', 'subjectAltName=DNS:alt.example.net',
  );
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=other');

  const put = (ref: string, files: Record<string, string>) => {
    for (const [suffix, source] of Object.entries(files)) copyFileSync(join(dir, source), join(store, `${ref}${suffix}`));
  };
  put('plain', { '.crt': 'srv.crt', '.key': 'srv.key', '.int': 'ca.crt' });
  put('p7-pem', { '.crt': 'srv.crt', '.key': 'srv.key', '.int': 'chain.p7b' });
  put('p7-der', { '.crt': 'srv.crt', '.key': 'srv.key', '.int': 'chain.p7b.der' });
  put('ec', { '.crt': 'ec.crt', '.key': 'ec.key' });
  writeFileSync(join(store, 'ec.pass'), 's3cret');
  put('ec-nopass', { '.crt': 'ec.crt', '.key': 'ec.key' });
  put('san', { '.crt': 'san.crt', '.key': 'san.key' });
  put('mismatch', { '.crt': 'srv.crt', '.key': 'other.key' });
  put('nokey', { '.crt': 'srv.crt' });
  put('ca', { '.crt': 'ca.crt' });
  writeFileSync(join(store, 'garbage.crt'), 'not a certificate');
  writeFileSync(join(store, 'garbage.key'), readFileSync(join(dir, 'srv.key')));
  // A file outside the storage directory that a traversing reference would reach.
  put('../outside', { '.crt': 'srv.crt', '.key': 'srv.key' });
  manager = new LocalCertManager({ storagePath: store });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function retrievalError(p: Promise<unknown>, ref: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isDomainError(err, 'certificate_retrieval'), String(err));
    assert.equal(err.message, `Could not retrieve certificate: ${ref}`);
    return true;
  });
}

describe('LocalCertManager', () => {
  test('reads <ref>.crt/.key/.int: leaf PEM, usable unencrypted key, intermediates, lower-cased CN', async () => {
    const c = await manager.getCertificate('p1', 'plain');
    assert.equal(new X509Certificate(c.certificate).subject, 'O=Org\nCN=WWW.Example.COM');
    assert.equal(c.primaryCn, 'www.example.com');
    assert.match(c.privateKey!, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.ok(new X509Certificate(c.certificate).checkPrivateKey(createPrivateKey(c.privateKey!)));
    assert.equal(c.intermediates.length, 1);
    assert.equal(new X509Certificate(c.intermediates[0]!).subject, 'CN=Test CA');
  });

  test('PKCS#7 intermediates in PEM and in DER give the same certificates', async () => {
    for (const ref of ['p7-pem', 'p7-der']) {
      const c = await manager.getCertificate(null, ref);
      assert.deepEqual(
        c.intermediates.map((pem) => new X509Certificate(pem).subject),
        ['CN=Test CA'],
        ref,
      );
    }
  });

  test('an encrypted key is decrypted with <ref>.pass; without it the reference is unreadable', async () => {
    const c = await manager.getCertificate(null, 'ec');
    assert.equal(c.primaryCn, 'ec.example.org');
    assert.match(c.privateKey!, /^-----BEGIN EC PRIVATE KEY-----/);
    assert.doesNotMatch(c.privateKey!, /ENCRYPTED/);
    assert.deepEqual(c.intermediates, []);
    await retrievalError(manager.getCertificate(null, 'ec-nopass'), 'ec-nopass');
  });

  test('a certificate without CN but with a DNS name is accepted with primaryCn null', async () => {
    const c = await manager.getCertificate(null, 'san');
    assert.equal(c.primaryCn, null);
  });

  test('missing files, garbage, a key of another certificate → certificate_retrieval naming the ref', async () => {
    await retrievalError(manager.getCertificate(null, 'absent'), 'absent');
    await retrievalError(manager.getCertificate(null, 'nokey'), 'nokey');
    await retrievalError(manager.getCertificate(null, 'garbage'), 'garbage');
    await retrievalError(manager.getCertificate(null, 'mismatch'), 'mismatch');
  });

  test('references that would leave the storage directory are refused', async () => {
    await retrievalError(manager.getCertificate(null, '../outside'), '../outside');
    await retrievalError(manager.getSecret(null, '../outside'), '../outside');
    await retrievalError(manager.getSecret(null, join(dir, 'ca')), join(dir, 'ca'));
    await retrievalError(manager.getSecret(null, '..'), '..');
  });

  test('getSecret returns <ref>.crt as text (CA bundles, CRLs)', async () => {
    assert.equal(await manager.getSecret(null, 'ca'), readFileSync(join(dir, 'ca.crt'), 'utf8'));
    await retrievalError(manager.getSecret(null, 'absent'), 'absent');
  });
});
