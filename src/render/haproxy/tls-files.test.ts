/** Which certificate files a render refers to (what the amphora driver uploads), and peer names. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { peerName } from '../../agent-api/contract.js';
import { certificateFileName, haproxyPeerName, renderHaproxyConfig, secretFileName, tlsFilesFor } from './index.js';
import { graphOf, inputOf, type CaseInput } from './testdata/fixture.js';

const CASE: CaseInput = {
  listeners: [
    {
      id: 'listener-1',
      protocol: 'TERMINATED_HTTPS',
      protocolPort: 443,
      defaultPoolId: 'pool-1',
      defaultTlsContainerRef: 'ref-default',
      sniContainerRefs: ['ref-sni', 'ref-default'],
      clientCaTlsContainerRef: 'ref-ca',
      clientCrlContainerRef: 'ref-crl',
    },
    // Left out (bad cidr): its certificates must not be asked for.
    { id: 'listener-2', protocol: 'TERMINATED_HTTPS', protocolPort: 444, defaultTlsContainerRef: 'ref-unused', allowedCidrs: ['nope'] },
    // Not TLS-terminating: its certificate fields mean nothing.
    { id: 'listener-3', protocol: 'HTTP', protocolPort: 80, defaultTlsContainerRef: 'ref-ignored' },
  ],
  pools: [
    { id: 'pool-1', tlsEnabled: true, tlsContainerRef: 'ref-pool', caTlsContainerRef: 'ref-ca', crlContainerRef: 'ref-crl' },
    { id: 'pool-unused', tlsEnabled: true, tlsContainerRef: 'ref-unused-pool' },
  ],
  members: [{ id: 'member-1' }],
};

describe('TLS files', () => {
  test('lists the crt-list, each container once, CA and CRL secrets, and the pool client certificate', () => {
    const graph = graphOf(CASE);
    const files = tlsFilesFor(graph, '/var/lib/octavia/certs');
    const byName = new Map(files.map((f) => [f.name, f.content]));
    const dir = '/var/lib/octavia/certs/lb-1';
    assert.deepEqual(byName.get('listener-1.pem'), {
      kind: 'crt-list',
      text: `${dir}/${certificateFileName('ref-default')}\n${dir}/${certificateFileName('ref-sni')}\n`,
    });
    assert.deepEqual(byName.get(certificateFileName('ref-default')), { kind: 'certificate', ref: 'ref-default' });
    assert.deepEqual(byName.get(certificateFileName('ref-sni')), { kind: 'certificate', ref: 'ref-sni' });
    assert.deepEqual(byName.get(secretFileName('ref-ca')), { kind: 'secret', ref: 'ref-ca' });
    assert.deepEqual(byName.get(secretFileName('ref-crl')), { kind: 'secret', ref: 'ref-crl' });
    assert.deepEqual(byName.get('pool-1.pem'), { kind: 'certificate', ref: 'ref-pool' });
    // ref-ca and ref-crl serve the listener and the pool: one file each.
    assert.equal(files.length, 6, files.map((f) => f.name).join(', '));
    assert.deepEqual(
      files.map((f) => f.name),
      [...files.map((f) => f.name)].sort(),
      'sorted by name',
    );
  });

  test('the rendered text and its crt-lists name exactly the files listed', () => {
    const r = renderHaproxyConfig(inputOf(CASE));
    const names = (text: string): string[] => [...text.matchAll(/\/var\/lib\/octavia\/certs\/lb-1\/([^ \n]+)/g)].map((m) => m[1]!);
    const referenced = new Set([
      ...names(r.text),
      ...r.tlsFiles.flatMap((f) => (f.content.kind === 'crt-list' ? names(f.content.text) : [])),
    ]);
    assert.deepEqual([...referenced].sort(), r.tlsFiles.map((f) => f.name));
    assert.deepEqual(r.tlsFiles, tlsFilesFor(graphOf(CASE), '/var/lib/octavia/certs'));
  });

  test('a reference used as a certificate and as a CA gives two different files', () => {
    assert.notEqual(certificateFileName('same'), secretFileName('same'));
    assert.match(certificateFileName('x\n../../etc/passwd'), /^[0-9a-f]{40}\.pem$/);
  });

  test('peer names are the agent contract’s (upstream’s) names', () => {
    const sha1 = (s: string): Buffer => createHash('sha1').update(s).digest();
    for (const id of ['amphora-a', '0b3c6f52-6a3e-4b2a-9d6e-2b8f0b1e7a11', 'x', '']) {
      assert.equal(haproxyPeerName(id), peerName(id, sha1));
    }
    // A hash whose base64 starts with '-' after the alphabet swap gets an 'x' (haproxy/haproxy#644).
    const id = Array.from({ length: 5000 }, (_, i) => `amp-${i}`).find((i) => sha1(i).toString('base64').startsWith('/'));
    assert.ok(id);
    assert.ok(haproxyPeerName(id).startsWith('x'));
  });
});
