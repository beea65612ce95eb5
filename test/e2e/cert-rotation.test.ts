/**
 * Amphora certificate rotation with a real amphora (spec §6.9): housekeeping finds the amphora whose
 * agent certificate expires within `cert_expiry_buffer` (forced by moving `cert_expiration` into
 * the buffer), the cert_rotate_amphora job issues a new certificate and pushes it with `PUT
 * /1.0/certificate`; the agent then presents the new certificate on new TLS connections (checked
 * from the test with its own mutual-TLS handshake), the controller still reaches the agent with it
 * (a member added afterwards gets traffic), and traffic through the VIP is not interrupted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';
import { buildHousekeeping } from '../../src/cli/compose.js';
import { timestamp } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';

describe('amphora certificate rotation', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  before(async () => {
    dp = await startDataPlane();
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  /** The certificate the agent at `address` presents, verified against the server CA as the controller does. */
  const agentCertificate = async (address: string, amphoraId: string): Promise<PeerCertificate> => {
    const certs = dp.api.drivers.certs;
    const client = await certs.controllerCertificate();
    const ca = await certs.serverCaPem();
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: address,
        port: dp.api.config.haproxy_amphora.bind_port,
        cert: client.certificatePem,
        key: client.privateKeyPem,
        ca,
        // The controller checks the amphora id, not the address (spec §7.1).
        servername: amphoraId,
        checkServerIdentity: (_host, cert) => (cert.subject.CN === amphoraId ? undefined : new Error(`agent presented ${cert.subject.CN}`)),
      });
      socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
      socket.once('secureConnect', () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      });
      socket.once('error', reject);
    });
  };

  test('a certificate about to expire is replaced; the agent serves the new one; traffic flows throughout', async () => {
    const g = dp.vip4.gateway;
    await dp.httpMember('c1', g, 18401);
    await dp.httpMember('c2', g, 18402);
    const lb = await dp.createLoadBalancer({
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: {
            name: 'cert-pool',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: [{ address: g, protocol_port: 18401, subnet_id: dp.vip4.id }],
          },
        },
      ],
    });
    const [amphora] = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.ok(amphora?.lbNetworkIp && amphora.certExpiration);
    const old = await agentCertificate(amphora.lbNetworkIp, amphora.id);
    assert.equal(timestamp(Date.parse(old.valid_to)), amphora.certExpiration, 'cert_expiration is what the agent serves');

    // Traffic on new connections all along: none may fail while the certificate changes.
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const traffic = (async () => {
      while (!stop) {
        try {
          const r = await dp.http(`http://${lb.vip}/`, { timeoutMs: 3000 });
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    })();

    try {
      // Inside the default 14-day buffer: due for rotation.
      await dp.api.store.amphorae.update(amphora.id, { certExpiration: timestamp(Date.now() + 3_600_000) });
      const hk = buildHousekeeping(dp.api.config, silentLogger(), dp.api.store, undefined, () => dp.api.worker?.notify());
      assert.equal((await hk.rotateCertificates()).queued, 1);
      await dp.api.settle(30_000);
      const [job] = (await dp.api.store.jobs.forResource(amphora.id)).filter((j) => j.kind === 'cert_rotate_amphora');
      assert.equal(job?.state, 'succeeded', job?.error ?? undefined);

      const rotated = (await dp.api.store.amphorae.get(amphora.id))!;
      assert.equal(rotated.certBusy, false);
      assert.equal(rotated.status, 'ALLOCATED');
      const fresh = await agentCertificate(amphora.lbNetworkIp, amphora.id);
      assert.notEqual(fresh.serialNumber, old.serialNumber, 'the agent presents a new certificate');
      assert.equal(timestamp(Date.parse(fresh.valid_to)), rotated.certExpiration, 'cert_expiration is the new notAfter');
      assert.equal((await hk.rotateCertificates()).queued, 0);

      // The controller still configures the amphora over mutual TLS with the new certificate.
      const member = await dp.api.request('POST', `/v2/lbaas/pools/${await poolId(lb.id)}/members`, {
        project: 'e2e',
        body: { member: { address: g, protocol_port: 18402, subnet_id: dp.vip4.id } },
      });
      assert.equal(member.status, 201, member.text);
      await dp.waitActive(lb.id);
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add((await dp.http(`http://${lb.vip}/`)).json.member);
      assert.deepEqual([...seen].sort(), ['c1', 'c2']);
    } finally {
      stop = true;
      await traffic;
    }
    assert.deepEqual(failures, [], 'no request failed during the rotation');
    assert.ok(ok > 0);
    await dp.deleteLoadBalancer(lb.id);
  });

  const poolId = async (lbId: string): Promise<string> => {
    const pools = await dp.api.request('GET', `/v2/lbaas/pools?loadbalancer_id=${lbId}`, { project: 'e2e' });
    return pools.body.pools[0].id as string;
  };
});
