/**
 * A real `octavius up` process for the client tests, started the way a user starts it: from the
 * checkout with a configuration file, on a free loopback port, with its state and SQLite database
 * in a temporary directory, noauth, noop drivers. The real clients then talk to it over HTTP, so
 * everything between the socket and the database is exercised (no inject, no in-process worker).
 *
 * Also writes the clouds.yaml both clients read (auth_type none, auth.endpoint = the URL), and
 * gives the tests the SQLite file for the one thing the API cannot do (an amphora in ERROR).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** The cloud name written into clouds.yaml. */
export const CLOUD = 'octavius';

/** A subnet id the noop network driver (and the Neutron view) accepts: every UUID exists there. */
export const SUBNET = '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';

export interface OctaviusProcess {
  /** http://127.0.0.1:<port> — the endpoint both clients are pointed at. */
  readonly url: string;
  /** Temporary directory with octavius.conf, the state, the database and clouds.yaml. */
  readonly dir: string;
  readonly databaseFile: string;
  readonly cloudsFile: string;
  /** The project of requests without X-Project-Id (the CLI never sends one). */
  readonly project: string;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Starts Octavius and resolves once `GET /` answers 200. Rejects (after killing the process) when
 * it exits early or does not answer within `startTimeoutMs`, with its output in the message.
 */
export async function startOctavius(options: { prefix: string; project: string; startTimeoutMs?: number }): Promise<OctaviusProcess> {
  const dir = mkdtempSync(join(tmpdir(), `${options.prefix}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseFile = join(dir, 'octavius.sqlite');
  const configFile = join(dir, 'octavius.conf');
  writeFileSync(
    configFile,
    [
      '[DEFAULT]',
      `state_path = ${dir}`,
      'log_level = warn',
      '[database]',
      // sqlite:/// + an absolute path (four slashes): SQLAlchemy's spelling, as in octavia.conf.
      `connection = sqlite:///${databaseFile}`,
      '[api_settings]',
      'bind_host = 127.0.0.1',
      `bind_port = ${port}`,
      'auth_strategy = noauth',
      `noauth_default_project = ${options.project}`,
      '[controller_worker]',
      'amphora_driver = amphora_noop_driver',
      'compute_driver = compute_noop_driver',
      'network_driver = network_noop_driver',
      '[task_flow]',
      'job_poll_interval = 0.05',
      '',
    ].join('\n'),
  );
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, ['clouds:', `  ${CLOUD}:`, '    auth_type: none', '    auth:', `      endpoint: ${url}`, ''].join('\n'));

  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'up', '--config-file', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OCTAVIUS_LOG_LEVEL: 'warn' },
  });
  const keep = (d: Buffer) => {
    output += d.toString();
    // Bounded: a chatty process must not grow the test's memory without limit.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If the test process dies without running its `after` hooks, do not leave Octavius behind.
  const killOnExit = () => {
    if (!exited(child)) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (!exited(child)) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited(child)) child.kill('SIGKILL');
      }, 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited(child)) {
      await stop();
      throw new Error(`octavius up exited (code ${child.exitCode}, signal ${child.signalCode}) before answering on ${url}:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`octavius up did not answer GET ${url}/ within ${options.startTimeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return { url, dir, databaseFile, cloudsFile, project: options.project, output: () => output, stop };
}
