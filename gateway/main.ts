#!/usr/bin/env node
/** `npm run gateway -- --keys DIR [...]`: the local web gateway between a browser and the mail server. */
import { requireSupportedNode } from '../common/version.js';
import { exitWithParent } from '../common/exit-with-parent.js';
import { createLogger } from '../common/program.js';
import { buildGateway } from './web-bridge/app.js';
import { parseGatewayArgs } from './web-bridge/cli.js';
import { DEFAULT_WEB_ROOT } from './web-bridge/config.js';
import { gatewayStartProblems } from './web-bridge/startup-checks.js';
import { formatServerAddress } from './web-bridge/server-address.js';

requireSupportedNode('sealed-mail-gateway');

const cli = await parseGatewayArgs(process.argv.slice(2));
const problems = gatewayStartProblems({
  keysDir: cli.options.keysDir,
  webRoot: cli.options.webRoot ?? DEFAULT_WEB_ROOT,
});
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`gateway: ${problem}\n`);
  process.exit(1);
}
const logger = createLogger(cli.logLevel, { role: 'gateway' });
const gateway = await buildGateway({ ...cli.options, logger });
try {
  await gateway.app.listen({ host: cli.listen.host, port: cli.listen.port });
} catch (error) {
  process.stderr.write(
    `gateway: cannot listen on ${formatServerAddress(cli.listen)}: ${(error as Error).message}\n`,
  );
  process.exit(1);
}
const bound = gateway.app.server.address();
const port = typeof bound === 'object' && bound !== null ? bound.port : cli.listen.port;
const shownHost =
  cli.listen.host === '0.0.0.0' || cli.listen.host === '::' ? '127.0.0.1' : cli.listen.host;
const url = `http://${formatServerAddress({ host: shownHost, port })}/?token=${gateway.token}`;
if (
  cli.listen.host !== '127.0.0.1' &&
  cli.listen.host !== '::1' &&
  cli.listen.host !== 'localhost'
) {
  process.stderr.write(
    `gateway: warning: listening on ${cli.listen.host}, not only on this machine\n`,
  );
}
logger.info(
  {
    port,
    defaultServer: formatServerAddress(gateway.config.servers.classic[0]),
    dataDir: gateway.config.dataDir,
  },
  'listening',
);
process.stdout.write(`Sealed Mail gateway: open ${url}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`gateway: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
exitWithParent(stop);
