/**
 * The load generator of bench/dataplane (wrk is not installed): raw HTTP/1.1 over node:net, so that
 * the client costs as little CPU as possible and every failure is seen as it happens.
 *
 * Two kinds of clients, each sending its next request as soon as the previous one is answered:
 *   keep-alive  one connection, reused; reconnects (not a failure) when the server answered with
 *               `connection: close` or closed it while no request was outstanding
 *   close       a new connection per request (`connection: close`)
 * A request fails when its connection cannot be made, is reset or closed before the whole response
 * arrived, times out, or the status is not 200.
 *
 * Run as a child process of bench/dataplane.ts (`node --import tsx bench/dataplane-load.ts`), so that
 * it has its own event loop (and core) apart from the member servers: it reads a LoadSpec as JSON
 * from argv[2], runs until `seconds` elapse or the parent sends 'stop', and sends a LoadResult.
 */
import { connect, type Socket } from 'node:net';

export interface LoadSpec {
  readonly host: string;
  readonly port: number;
  readonly keepAlive: number;
  readonly close: number;
  /** 0: until the parent sends 'stop'. */
  readonly seconds: number;
  readonly timeoutMs?: number;
  /** Latencies are kept (for percentiles) only when asked: a throughput run makes millions. */
  readonly latencies?: boolean;
  /** Pause of each client between a response and its next request (0: none, full speed). */
  readonly paceMs?: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Failures by kind: connect, reset, closed, timeout, status <code>. */
  readonly failures: Record<string, number>;
  /** First failures with their time since the start (ms), to match them with config changes. */
  readonly firstFailures: readonly { readonly atMs: number; readonly kind: string }[];
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Reconnects of keep-alive clients after the server closed an idle connection or answered `connection: close`. */
  readonly reconnects: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parses one response at the start of `buf`: its total length and status, or null when incomplete. */
function parseResponse(buf: Buffer): { length: number; status: number; close: boolean } | null {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(head.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const close = /\r\nconnection:\s*close/i.test(head);
  const bodyLength = cl ? Number(cl[1]) : 0;
  const length = end + 4 + bodyLength;
  if (buf.length < length) return null;
  return { length, status, close };
}

export function runLoad(spec: LoadSpec, stopSignal: { stopped: boolean; onStop?: () => void }): Promise<LoadResult> {
  const timeoutMs = spec.timeoutMs ?? 5000;
  const pace = spec.paceMs ?? 0;
  const started = performance.now();
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const firstFailures: { atMs: number; kind: string }[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let reconnects = 0;
  const fail = (kind: string) => {
    failed++;
    failures[kind] = (failures[kind] ?? 0) + 1;
    if (firstFailures.length < 50) firstFailures.push({ atMs: Math.round(performance.now() - started), kind });
  };
  const request = (close: boolean) => Buffer.from(`GET /load HTTP/1.1\r\nHost: ${spec.host}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`);
  const keepAliveRequest = request(false);
  const closeRequest = request(true);

  const keepAliveClient = () =>
    new Promise<void>((done) => {
      let socket: Socket | null = null;
      let buf: Buffer = Buffer.alloc(0);
      let outstanding = false;
      let sentAt = 0;
      let timer: NodeJS.Timeout | null = null;
      const send = () => {
        if (stopSignal.stopped) {
          socket?.destroy();
          return done();
        }
        outstanding = true;
        sent++;
        sentAt = performance.now();
        socket!.write(keepAliveRequest);
        timer = setTimeout(() => {
          fail('timeout');
          outstanding = false;
          socket?.destroy();
        }, timeoutMs);
      };
      const open = () => {
        if (stopSignal.stopped) return done();
        buf = Buffer.alloc(0);
        let connected = false;
        const s = connect({ host: spec.host, port: spec.port, noDelay: true });
        socket = s;
        s.on('connect', () => {
          connected = true;
          send();
        });
        s.on('data', (chunk: Buffer) => {
          buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
          const r = parseResponse(buf);
          if (!r) return;
          buf = buf.subarray(r.length);
          if (timer) clearTimeout(timer);
          outstanding = false;
          if (r.status === 200) {
            ok++;
            if (spec.latencies) latencies.push(performance.now() - sentAt);
          } else fail(`status ${r.status}`);
          if (r.close) {
            s.destroy();
            return; // 'close' reopens
          }
          // The server may close the idle connection during the pause: then 'close' has opened a new one.
          if (pace > 0) setTimeout(() => socket === s && !s.destroyed && send(), pace);
          else send();
        });
        s.on('error', (err: NodeJS.ErrnoException) => {
          if (!connected) {
            sent++;
            fail(`connect ${err.code ?? err.message}`);
          } else if (outstanding) fail(`reset ${err.code ?? err.message}`);
          outstanding = false;
        });
        s.on('close', () => {
          if (timer) clearTimeout(timer);
          if (outstanding) fail('closed');
          else if (connected && !stopSignal.stopped) reconnects++;
          outstanding = false;
          // A refused connection would otherwise spin: retry after a moment.
          if (!connected) setTimeout(open, 5);
          else setImmediate(open);
        });
      };
      open();
    });

  const closeClient = () =>
    new Promise<void>((done) => {
      const one = () => {
        if (stopSignal.stopped) return done();
        sent++;
        const sentAt = performance.now();
        let buf: Buffer = Buffer.alloc(0);
        let settled = false;
        const s = connect({ host: spec.host, port: spec.port, noDelay: true });
        const finish = (kind: string | null, status?: number) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          s.destroy();
          if (kind) fail(kind);
          else if (status === 200) {
            ok++;
            if (spec.latencies) latencies.push(performance.now() - sentAt);
          } else fail(`status ${status}`);
          if (kind?.startsWith('connect')) setTimeout(one, Math.max(5, pace));
          else if (pace > 0) setTimeout(one, pace);
          else setImmediate(one);
        };
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        let connected = false;
        s.on('connect', () => {
          connected = true;
          s.write(closeRequest);
        });
        s.on('data', (chunk: Buffer) => {
          buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
          const r = parseResponse(buf);
          if (r) finish(null, r.status);
        });
        s.on('error', (err: NodeJS.ErrnoException) => finish(`${connected ? 'reset' : 'connect'} ${err.code ?? err.message}`));
        s.on('close', () => finish('closed'));
      };
      one();
    });

  if (spec.seconds > 0) {
    setTimeout(() => {
      stopSignal.stopped = true;
    }, spec.seconds * 1000);
  }
  const clients = [...Array.from({ length: spec.keepAlive }, keepAliveClient), ...Array.from({ length: spec.close }, closeClient)];
  return Promise.all(clients).then(() => {
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => (latencies.length ? Number(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!.toFixed(3)) : null);
    return {
      sent,
      ok,
      failed,
      failures,
      firstFailures,
      seconds: Number(seconds.toFixed(2)),
      rps: Math.round(ok / seconds),
      p50Ms: pct(50),
      p99Ms: pct(99),
      reconnects,
    };
  });
}

// As a child process: run the spec from argv, report to the parent.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.send) {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const stop = { stopped: false };
  process.on('message', (m) => {
    if (m === 'stop') stop.stopped = true;
  });
  process.send('started');
  const result = await runLoad(spec, stop);
  process.send(result, () => process.exit(0));
}
