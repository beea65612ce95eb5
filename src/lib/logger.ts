/** The logger factory: pino, one root per process, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  readonly name?: string;
  /** Write to this file descriptor (default 1, stdout). */
  readonly fd?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'octavius',
      level: options.level ?? process.env['OCTAVIUS_LOG_LEVEL'] ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: options.fd ?? 1, sync: false }),
  );
}

/** A logger that discards everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
