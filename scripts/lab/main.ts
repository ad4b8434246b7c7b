#!/usr/bin/env node
/**
 * `npm run lab -- up|down|status [--clients N] [--id ID]`: the lab network of several hosts
 * (network namespaces) on this machine. Run programs on a host with `ip netns exec ID-HOST ...`.
 * `npm run lab -- multi-host up|check`: the layout of a database host, two mail-server hosts
 * and client hosts, running; `check` tours it and exits 0 when all went well.
 */
import { Command, Option } from 'commander';
import { integerArgument } from '../../common/program.js';
import { postgresUnavailableReason } from '../lib/postgres-cluster.js';
import {
  checkMultiHostLab,
  describeMultiHostLab,
  LAB_USERS,
  startMultiHostLab,
  type RunningLab,
} from './multi-host.js';
import { describeLab, hostsUp, labDown, labUnavailableReason, labUp } from './network.js';

const clientsOption = (): Option =>
  new Option('--clients <n>', 'client hosts').default(3).argParser(integerArgument(1, 50));

function refuse(reason: string | undefined): void {
  if (reason === undefined) return;
  process.stderr.write(`lab: ${reason}\n`);
  process.exit(1);
}

function singleServerCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(clientsOption())
    .addOption(
      new Option('--id <id>', 'names the namespaces ID-server, ID-client1, ...').default('smlab'),
    );
}

function printRunning(running: RunningLab): void {
  const { lab } = running;
  const line = (role: string, host: { namespace: string; address: string }): string =>
    `  ${role.padEnd(12)} ${host.namespace.padEnd(16)} ${host.address}`;
  process.stdout.write(
    [
      `multi-host lab ${lab.id} is up:`,
      line('database', lab.database),
      ...lab.mailServers.map((host) => line('mail server', host)),
      ...lab.clients.map((host) => line('client', host)),
      `  this machine ${lab.hostAddress}`,
      `store: ${running.storeUrl} (password ${running.password})`,
      `users: ${LAB_USERS.map((user, i) => `${user}/password${i + 1}`).join(', ')}; keys in ${running.keys}`,
      'a client, for example:',
      `  ip netns exec ${lab.clients[0]?.namespace ?? ''} node dist/gateway/terminal/main.js --keys ${running.keys}/client1 --server ${running.serverList}`,
      'Ctrl-C stops it all.',
      '',
    ].join('\n'),
  );
}

function multiHostCommand(): Command {
  const options = (command: Command): Command =>
    command
      .addOption(clientsOption().default(2))
      .addOption(
        new Option('--id <id>', 'names the namespaces ID-db, ID-mail1, ID-mail2, ...').default(
          'smmh',
        ),
      );
  const start = async (values: { clients: number; id: string }): Promise<RunningLab> => {
    refuse(labUnavailableReason());
    refuse(postgresUnavailableReason());
    return startMultiHostLab(describeMultiHostLab(values.id, values.clients));
  };
  const multi = new Command('multi-host').description(
    'a database host (PostgreSQL), two mail-server hosts sharing it, and client hosts',
  );
  multi.addCommand(
    options(new Command('up'))
      .description('start it all and keep it running until Ctrl-C')
      .action(async (values: { clients: number; id: string }) => {
        const running = await start(values);
        printRunning(running);
        const stop = (): void => {
          void running.stop().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
  );
  multi.addCommand(
    options(new Command('check'))
      .description('start it all, run the scripted check, stop it all; exit 0 when all passed')
      .action(async (values: { clients: number; id: string }) => {
        const running = await start({ ...values, clients: Math.max(values.clients, 2) });
        let passed = false;
        try {
          passed = await checkMultiHostLab(running, (step) => {
            process.stdout.write(
              `${step.passed ? 'ok  ' : 'FAIL'} ${step.name}${step.detail ? ` (${step.detail})` : ''}\n`,
            );
          });
        } finally {
          await running.stop();
        }
        process.stdout.write(passed ? 'multi-host check passed\n' : 'multi-host check FAILED\n');
        process.exitCode = passed ? 0 : 1;
      }),
  );
  return multi;
}

const program = new Command('npm run lab --').description(
  'A lab of several hosts on this machine, each a network namespace (needs root and iproute2).',
);
program.addCommand(
  singleServerCommand('up', 'make a server host and client hosts').action(
    (values: { clients: number; id: string }) => {
      refuse(labUnavailableReason());
      const lab = describeLab(values.id, values.clients);
      labUp(lab);
      process.stdout.write(
        [
          `lab ${lab.id} is up:`,
          `  server   ${lab.server.namespace} ${lab.server.address}`,
          ...lab.clients.map((host) => `  client   ${host.namespace} ${host.address}`),
          `  this machine ${lab.hostAddress}`,
          'Then, for example:',
          `  ip netns exec ${lab.server.namespace} node dist/mail-server/main.js --home keys/demo/server --host ${lab.server.address}`,
          `  ip netns exec ${lab.clients[0]?.namespace ?? ''} node dist/gateway/terminal/main.js --keys keys/demo/client1 --server ${lab.server.address}`,
        ].join('\n') + '\n',
      );
    },
  ),
);
program.addCommand(
  singleServerCommand('down', 'remove the lab').action(
    (values: { clients: number; id: string }) => {
      const lab = describeLab(values.id, values.clients);
      labDown(lab);
      process.stdout.write(`lab ${lab.id} removed\n`);
    },
  ),
);
program.addCommand(
  singleServerCommand('status', 'describe the lab (as JSON)').action(
    (values: { clients: number; id: string }) => {
      const lab = describeLab(values.id, values.clients);
      const up = hostsUp(lab);
      if (up.length === 0) {
        process.stderr.write(
          `lab: no lab ${lab.id} is up (no namespace ${lab.server.namespace}); make it with: npm run lab -- up --id ${lab.id}\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `${JSON.stringify({ ...lab, up: up.map((host) => host.namespace) }, null, 2)}\n`,
      );
    },
  ),
);
program.addCommand(multiHostCommand());

program.showHelpAfterError();
await program.parseAsync(process.argv.slice(2), { from: 'user' });
