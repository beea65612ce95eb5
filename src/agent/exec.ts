/**
 * Running the amphora's commands. When the amphora has a namespace of its own (the agent runs
 * outside it), commands are wrapped in `ip netns exec`, which execs in place so a started
 * process keeps its pid.
 */
import { execFile } from 'node:child_process';
import type { AgentAmphora } from './agent-amphora.js';

export interface CommandResult {
  /** Exit status; -1 when the command could not be run at all. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, as upstream reports `subprocess` output. */
  readonly output: string;
}

/** The command line that runs `cmd` inside the amphora's namespace. */
export function inNamespace(amphora: Pick<AgentAmphora, 'netns'>, cmd: string, args: readonly string[]): [string, string[]] {
  return amphora.netns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', amphora.netns, cmd, ...args]];
}

export function run(
  amphora: Pick<AgentAmphora, 'netns'>,
  cmd: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  const [file, argv] = inNamespace(amphora, cmd, args);
  return new Promise((resolve) => {
    const child = execFile(
      file,
      argv,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
        const extra = err !== null && code === -1 ? `${err.message}\n` : '';
        resolve({ code, stdout, stderr, output: `${stdout}${stderr}${extra}` });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `ip` with the amphora's namespace (`ip -n`); throws with ip's message when it fails. */
export async function ip(amphora: Pick<AgentAmphora, 'netns'>, args: readonly string[]): Promise<string> {
  const argv = amphora.netns === null ? [...args] : ['-n', amphora.netns, ...args];
  const r = await run({ netns: null }, 'ip', argv);
  if (r.code !== 0) throw new IpError(`ip ${argv.join(' ')}: ${r.stderr.trim() || r.output.trim()}`, r.stderr);
  return r.stdout;
}

export class IpError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.name = 'IpError';
    this.stderr = stderr;
  }
}
