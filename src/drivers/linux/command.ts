/**
 * Running the Linux networking tools (ip, sysctl) for the netns compute driver and the local
 * network driver. Failures become DomainError('driver_error') carrying the command and its stderr
 * for operators; callers that expect "already exists" / "does not exist" ask with the predicates.
 */
import { execFile } from 'node:child_process';
import { DomainError } from '../../domain/errors.js';

export class CommandFailed extends DomainError {
  readonly stderr: string;
  constructor(argv: readonly string[], stderr: string, cause: unknown) {
    const text = `${argv.join(' ')}: ${stderr.trim() || String((cause as Error)?.message ?? cause)}`;
    super('driver_error', text, { operatorMessage: text, cause });
    this.stderr = stderr;
  }
}

/** Runs a command; resolves with its stdout. Never through a shell. */
export function run(cmd: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new CommandFailed([cmd, ...args], stderr, err));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export function ip(args: readonly string[], input?: string): Promise<string> {
  return run('ip', args, input === undefined ? {} : { input });
}

/** `ip` said the object is there already ("File exists", RTNETLINK EEXIST). */
export function isExists(err: unknown): boolean {
  return err instanceof CommandFailed && /File exists|already exists/i.test(err.stderr);
}

/** `ip` said the object is not there. */
export function isMissing(err: unknown): boolean {
  return err instanceof CommandFailed && /does not exist|Cannot find device|No such file|not found|Cannot open network namespace/i.test(err.stderr);
}
