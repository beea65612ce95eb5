// A keep-alive HTTP client for agent tests: `connections` loops send GET <url> back to back over
// reused connections and count answers by body. Commands on stdin: `report` prints the counts so
// far, `stop` prints them and exits. Every failure (connection error, non-200) is counted.
// Usage: node load-client.mjs <url> <connections>
import { Agent, get } from 'node:http';
import { createInterface } from 'node:readline';

const [url, connections] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });
const report = { ok: 0, failed: 0, errors: [], byName: {} };
let running = true;

function once() {
  return new Promise((resolve) => {
    const req = get(url, { agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200) {
          report.ok++;
          report.byName[body] = (report.byName[body] ?? 0) + 1;
        } else {
          report.failed++;
          if (report.errors.length < 20) report.errors.push(`status ${res.statusCode}`);
        }
        resolve();
      });
      res.on('error', (err) => fail(err, resolve));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => fail(err, resolve));
  });
}

function fail(err, resolve) {
  report.failed++;
  if (report.errors.length < 20) report.errors.push(String(err.code ?? err.message));
  resolve();
}

async function loop() {
  while (running) await once();
}

const loops = Array.from({ length: Number(connections) }, loop);
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() === 'report') process.stdout.write(`${JSON.stringify(report)}\n`);
  if (line.trim() === 'stop') {
    running = false;
    await Promise.all(loops);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  }
});
