import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalCa } from './local-ca.js';

const clock = { now: () => Date.now() };

test('the CA is created once, its key encrypted at rest; amphora certificates name the amphora', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-pki-'));
  const ca = new LocalCa({ directory: dir, passphrase: 'a-passphrase-for-tests', validityMs: 86_400_000, clock });
  const issued = await ca.issueAmphoraCertificate('7d3f9b5e-1111-4222-8333-944455556666');
  const keyText = readFileSync(join(dir, 'ca.key'), 'utf8');
  assert.match(keyText, /BEGIN ENCRYPTED PRIVATE KEY/);
  assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
  assert.throws(() => createPrivateKey({ key: keyText, passphrase: 'wrong' }));

  const caCert = new X509Certificate(await ca.serverCaPem());
  const leaf = new X509Certificate(issued.certificatePem);
  assert.ok(leaf.verify(caCert.publicKey), 'signed by the CA');
  assert.ok(leaf.checkIssued(caCert));
  assert.match(leaf.subject, /CN=7d3f9b5e-1111-4222-8333-944455556666/);
  assert.equal(leaf.checkHost('7d3f9b5e-1111-4222-8333-944455556666'), '7d3f9b5e-1111-4222-8333-944455556666');
  assert.equal(leaf.publicKey.asymmetricKeyType, 'ec');
  assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(Math.abs(Date.parse(leaf.validTo) - issued.expiresAt) < 2000);
  assert.ok(createPrivateKey(issued.privateKeyPem).asymmetricKeyType === 'ec');

  // A second controller process loads the same CA instead of making a new one.
  const again = new LocalCa({ directory: dir, passphrase: 'a-passphrase-for-tests', validityMs: 86_400_000, clock });
  assert.equal(await again.clientCaPem(), await ca.clientCaPem());
  const client = new X509Certificate((await again.controllerCertificate()).certificatePem);
  assert.ok(client.verify(caCert.publicKey));
  await assert.rejects(() => new LocalCa({ directory: dir, passphrase: 'wrong', validityMs: 1, clock }).clientCaPem());
});
