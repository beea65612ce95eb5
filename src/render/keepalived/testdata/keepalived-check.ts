/**
 * Runs `keepalived -t` (config test) on a rendered configuration. Test support only.
 *
 * keepalived refuses a configuration whose interfaces do not exist ("Non-existent interface
 * specified"), and the host must not be touched, so the test runs in a throw-away network
 * namespace (`unshare --net`, gone when the process exits) holding a veth pair named after the
 * configuration's interface. `-t` parses, validates and exits: it starts no VRRP instance, adds no
 * address or route, writes no pid file and does not initialise the track file; the pid file
 * options still point into a scratch directory so that nothing can meet a running keepalived.
 * keepalived reports every problem on stderr, so any output is a complaint (as `haproxy -c`'s
 * warnings are for the haproxy goldens).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const KEEPALIVED = '/usr/sbin/keepalived';

export interface CheckResult {
  readonly exitCode: number;
  readonly output: string;
}

export async function keepalivedCheck(text: string, iface: string): Promise<CheckResult> {
  // The interface name was validated by translate (a plain token of at most 15 bytes); the peer
  // end gets a fixed name that cannot collide with one of ours.
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(iface) || iface === 'kacheck-peer') throw new Error(`bad interface name ${iface}`);
  const dir = mkdtempSync(join(tmpdir(), 'octv-keepalived-check-'));
  try {
    const cfg = join(dir, 'keepalived.conf');
    writeFileSync(cfg, text);
    const script = [
      'set -e',
      'ip link add "$1" type veth peer name kacheck-peer',
      'shift',
      // The same subsystems the agent runs (src/agent/keepalived.ts).
      `exec ${KEEPALIVED} --config-test --vrrp --no_bfd --use-file "$@"`,
    ].join('\n');
    // Root (our VMs and CI) may create a network namespace directly; anyone else through a user namespace.
    const unshare = process.getuid?.() === 0 ? ['--net'] : ['--map-root-user', '--net'];
    const args = [
      ...unshare,
      'sh', '-c', script, 'sh', iface, cfg,
      '--pid', join(dir, 'keepalived.pid'),
      '--vrrp_pid', join(dir, 'vrrp.pid'),
      '--checkers_pid', join(dir, 'checkers.pid'),
    ];
    try {
      const r = await run('unshare', args, { encoding: 'utf8' });
      return { exitCode: 0, output: (r.stdout + r.stderr).split(dir).join('<dir>') };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('unshare (util-linux) is not installed');
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.split(dir).join('<dir>');
      return { exitCode: typeof e.code === 'number' ? e.code : 1, output };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
