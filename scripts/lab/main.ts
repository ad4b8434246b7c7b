#!/usr/bin/env node
/**
 * `npm run lab -- up|down|status [--clients N] [--id ID]`: the lab network of several hosts
 * (network namespaces) on this machine. Run programs on a host with `ip netns exec ID-HOST ...`.
 */
import { parseArgs } from 'node:util';
import { describeLab, labDown, labUnavailableReason, labUp } from './network.js';

const USAGE = `Usage: npm run lab -- up|down|status [options]

  --clients N   client hosts (default 3)
  --id ID       names the namespaces ID-server, ID-client1, ... (default smlab)

Then, for example:
  ip netns exec smlab-server node dist/mail-server/main.js --home keys/demo/server --host 198.18.7.1
  ip netns exec smlab-client1 node dist/gateway/terminal/main.js --keys keys/demo/client1 --server 198.18.7.1`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { clients: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean' } },
});
const command = positionals[0];
if (values.help || !command || !['up', 'down', 'status'].includes(command)) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
const lab = describeLab(values.id ?? 'smlab', Number(values.clients ?? 3));
if (command === 'status') {
  process.stdout.write(`${JSON.stringify(lab, null, 2)}\n`);
} else if (command === 'down') {
  labDown(lab);
  process.stdout.write(`lab ${lab.id} removed\n`);
} else {
  const reason = labUnavailableReason();
  if (reason) {
    process.stderr.write(`lab: ${reason}\n`);
    process.exit(1);
  }
  labUp(lab);
  process.stdout.write(
    [
      `lab ${lab.id} is up:`,
      `  server   ${lab.server.namespace} ${lab.server.address}`,
      ...lab.clients.map((host) => `  client   ${host.namespace} ${host.address}`),
      `  this machine ${lab.hostAddress}`,
    ].join('\n') + '\n',
  );
}
