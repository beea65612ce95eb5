/**
 * Runs `haproxy -c` on a rendered config the way the agent does, in a scratch directory: the
 * fixed base path of the golden cases (/var/lib/octavia) is rewritten to the directory, and every
 * certificate file the render refers to is created there (a self-signed EC certificate and key,
 * the same certificate as CA bundle, an empty CRL signed by it). Test support only.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadBalancerGraph } from '../../../domain/graph.js';
import { secretFileName, type TlsFile } from '../tls-files.js';

const run = promisify(execFile);

export const GOLDEN_BASE_PATH = '/var/lib/octavia';

/** Warnings that only say the scratch directory is not a running amphora. */
const EXPECTED_WARNINGS = [/Can't open (global )?server state file/];

interface Pems {
  readonly certificate: string;
  readonly key: string;
  readonly crl: string;
}

let pems: Pems | null = null;

/** One certificate, key and CRL per test process (openssl, a few ms). */
export function testPems(): Pems {
  if (pems) return pems;
  const dir = mkdtempSync(join(tmpdir(), 'octv-render-pki-'));
  try {
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    };
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem',
      '-out', 'cert.pem', '-subj', '/CN=www.example.com', '-addext', 'subjectAltName=DNS:www.example.com', '-days', '2');
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\n`,
    );
    openssl('ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'key.pem', '-cert', 'cert.pem', '-out', 'crl.pem');
    pems = {
      certificate: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      crl: readFileSync(join(dir, 'crl.pem'), 'utf8'),
    };
    return pems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CheckResult {
  readonly exitCode: number;
  readonly output: string;
  /** [WARNING]/[ALERT] lines other than the expected ones. */
  readonly complaints: readonly string[];
}

export async function haproxyCheck(
  text: string,
  files: readonly TlsFile[],
  graph: LoadBalancerGraph,
  options: { readonly localPeer?: string; readonly baseCertDir?: string } = {},
): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'octv-render-check-'));
  try {
    const rewrite = (s: string): string => s.split(GOLDEN_BASE_PATH).join(dir);
    const crls = new Set(
      [...graph.listeners.map((l) => l.clientCrlContainerRef), ...graph.pools.map((p) => p.crlContainerRef)]
        .filter((r): r is string => r !== null)
        .map(secretFileName),
    );
    const certDir = rewrite(`${options.baseCertDir ?? `${GOLDEN_BASE_PATH}/certs`}/${graph.loadBalancer.id}`);
    mkdirSync(certDir, { recursive: true });
    mkdirSync(join(dir, graph.loadBalancer.id), { recursive: true });
    const p = testPems();
    for (const f of files) {
      const content =
        f.content.kind === 'crt-list'
          ? rewrite(f.content.text)
          : f.content.kind === 'certificate'
            ? p.certificate + p.key
            : crls.has(f.name)
              ? p.crl
              : p.certificate;
      writeFileSync(join(certDir, f.name), content, { mode: 0o600 });
    }
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, rewrite(text));
    const args = ['-c', '-f', cfg, ...(options.localPeer ? ['-L', options.localPeer] : [])];
    let exitCode = 0;
    let output: string;
    try {
      const r = await run('haproxy', args, { encoding: 'utf8' });
      output = r.stdout + r.stderr;
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('haproxy is not installed (scripts/setup.sh installs the data-plane packages)');
      exitCode = typeof e.code === 'number' ? e.code : 1;
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    const complaints = output
      .split('\n')
      .filter((l) => /\[(WARNING|ALERT)\]/.test(l))
      .filter((l) => !EXPECTED_WARNINGS.some((re) => re.test(l)));
    return { exitCode, output: output.split(dir).join(GOLDEN_BASE_PATH), complaints };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
