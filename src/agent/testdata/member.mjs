// A member server for agent tests: answers every request with its name (keep-alive allowed).
// Usage: node member.mjs <address> <port> <name>
import { createServer } from 'node:http';

const [address, port, name] = process.argv.slice(2);
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(name) });
  res.end(name);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
