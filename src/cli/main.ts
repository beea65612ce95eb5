#!/usr/bin/env node
/**
 * `octavius`: one executable, one subcommand per service. Every subcommand takes --config-file
 * (repeatable, later files win) as oslo.config does.
 */
import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { runCommand, type CommandName } from './run.js';

const program = new Command();
program.name('octavius').description('OpenStack Octavia-compatible load balancing as a service').version('0.1.0');

const collect = (value: string, previous: string[]) => [...previous, value];

function service(name: CommandName, description: string): void {
  program
    .command(name)
    .description(description)
    .option('--config-file <file>', 'configuration file (repeatable; later files win)', collect, [] as string[])
    .action(async (opts: { configFile: string[] }) => {
      try {
        await runCommand(name, opts.configFile);
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`octavius: ${err.message}\n`);
          process.exit(2);
        }
        process.stderr.write(`octavius: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      }
    });
}

service('up', 'run the API, worker, health manager and housekeeping in one process (embedded defaults)');
service('api', 'run the API service');
service('worker', 'run the controller worker');
service('housekeeping', 'run housekeeping (purge of DELETED rows)');
service('health-manager', 'run the health manager (receives amphora heartbeats: health, operating statuses, statistics)');
service('agent', 'run the amphora agent (inside an amphora; no database)');

program
  .command('demo')
  .description('create two member servers and a load balancer, show round robin through its VIP, clean up')
  .option('--endpoint <url>', 'the Octavius API', 'http://127.0.0.1:9876')
  .option('--project <id>', 'project to work in', 'demo')
  .option('--requests <n>', 'requests to send to the VIP', '6')
  .action(async (opts: { endpoint: string; project: string; requests: string }) => {
    const { runDemo } = await import('./demo.js');
    const code = await runDemo({
      endpoint: opts.endpoint.replace(/\/+$/, ''),
      project: opts.project,
      requests: Number(opts.requests),
      out: (line) => process.stdout.write(`${line}\n`),
    });
    process.exit(code);
  });

const db = program.command('db').description('database administration');
db.command('upgrade')
  .description('apply schema migrations')
  .option('--config-file <file>', 'configuration file (repeatable; later files win)', collect, [] as string[])
  .action(async (opts: { configFile: string[] }) => {
    try {
      await runCommand('db-upgrade', opts.configFile);
    } catch (err) {
      process.stderr.write(`octavius: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    }
  });

await program.parseAsync(process.argv);
