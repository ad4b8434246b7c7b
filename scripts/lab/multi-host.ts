/**
 * The lab's multi-host layout: a database host running PostgreSQL (a throwaway cluster from
 * Debian's packages), two mail-server hosts sharing it and one home, and client hosts; each a
 * network namespace on 198.18.8.0/24. `check` runs a scripted tour of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { writeKeySetup } from '../key-setup.js';
import { startThrowawayCluster, type PostgresCluster } from '../lib/postgres-cluster.js';
import { labDown, labHost, labUp, onHost, type LabHost, type LabNetwork } from './network.js';

const SUBNET = '198.18.8';
const MAIL_PORT = 13000;
const DATABASE_PORT = 5432;
export const LAB_USERS = ['client1', 'client2', 'client3'];

export interface MultiHostLab extends LabNetwork {
  database: LabHost;
  mailServers: [LabHost, LabHost];
  clients: LabHost[];
}

export function describeMultiHostLab(id: string, clients: number): MultiHostLab {
  const database = labHost(id, SUBNET, 'db', 2);
  const mailServers: [LabHost, LabHost] = [
    labHost(id, SUBNET, 'mail1', 11),
    labHost(id, SUBNET, 'mail2', 12),
  ];
  const clientHosts = Array.from({ length: clients }, (_, i) =>
    labHost(id, SUBNET, `client${i + 1}`, 21 + i),
  );
  return {
    id,
    database,
    mailServers,
    clients: clientHosts,
    hosts: [database, ...mailServers, ...clientHosts],
    hostAddress: `${SUBNET}.254`,
  };
}

const dist = (relative: string): string =>
  fileURLToPath(new URL(`../../${relative}`, import.meta.url));

export interface RunningLab {
  lab: MultiHostLab;
  /** The key setup: `keys/server` is both mail servers' home, `keys/<user>` each user's. */
  keys: string;
  /** The store's URL without its password (the servers get it as PGPASSWORD). */
  storeUrl: string;
  password: string;
  cluster: PostgresCluster;
  servers: Map<string, ChildProcess>;
  /** The server list a client names: every mail-server host. */
  serverList: string;
  stop: () => Promise<void>;
}

/** Starts a mail server on a lab host; resolves once it listens. */
async function startMailServer(
  host: LabHost,
  home: string,
  storeUrl: string,
  password: string,
): Promise<ChildProcess> {
  const [command, args] = onHost(host, 'setsid', [
    process.execPath,
    dist('mail-server/main.js'),
    '--home',
    home,
    '--host',
    host.address,
    '--port',
    String(MAIL_PORT),
    '--store',
    storeUrl,
  ]);
  const child = spawn(command, args, {
    env: { ...process.env, PGPASSWORD: password },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr });
  await new Promise<void>((resolve, reject) => {
    const failed = (): void => {
      reject(new Error(`the mail server on ${host.name} exited before listening`));
    };
    child.once('exit', failed);
    lines.on('line', (line) => {
      if (!line.includes('"msg":"listening"')) return;
      child.off('exit', failed);
      resolve();
    });
  });
  return child;
}

/** Makes the network, starts PostgreSQL on the database host and a mail server on each mail host. */
export async function startMultiHostLab(lab: MultiHostLab): Promise<RunningLab> {
  labUp(lab);
  const keys = mkdtempSync(join(tmpdir(), 'sealed-mail-lab-'));
  const password = randomBytes(12).toString('hex');
  let cluster: PostgresCluster | undefined;
  const servers = new Map<string, ChildProcess>();
  const stop = async (): Promise<void> => {
    for (const child of servers.values()) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      process.kill(-child.pid, 'SIGTERM');
      await once(child, 'exit');
    }
    await cluster?.destroy();
    labDown(lab);
    rmSync(keys, { recursive: true, force: true });
  };
  try {
    await writeKeySetup({ out: keys, users: LAB_USERS });
    cluster = await startThrowawayCluster({
      host: lab.database.address,
      port: DATABASE_PORT,
      password,
      allowFrom: `${SUBNET}.0/24`,
      prefix: ['ip', 'netns', 'exec', lab.database.namespace],
    });
    const url = new URL(await cluster.createDatabase('sealed_mail'));
    url.password = '';
    const storeUrl = url.toString();
    for (const host of lab.mailServers)
      servers.set(host.name, await startMailServer(host, join(keys, 'server'), storeUrl, password));
    return {
      lab,
      keys,
      storeUrl,
      password,
      cluster,
      servers,
      serverList: lab.mailServers.map((host) => `${host.address}:${MAIL_PORT}`).join(','),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs the terminal client on a lab host with piped input; resolves with its output. */
async function terminalClient(
  running: RunningLab,
  host: LabHost,
  user: string,
  input: string,
): Promise<{ code: number | null; stdout: string }> {
  const [command, args] = onHost(host, process.execPath, [
    dist('gateway/terminal/main.js'),
    '--keys',
    join(running.keys, user),
    '--server',
    running.serverList,
  ]);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout };
}

/** Counts the copies of an email in the store, asked from this machine's leg of the lab. */
async function storedCopies(running: RunningLab, title: string): Promise<number> {
  const url = new URL(running.storeUrl);
  url.password = running.password;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM emails WHERE title = $1',
      [title],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

export interface CheckStep {
  name: string;
  passed: boolean;
  detail: string;
}

/**
 * The scripted check: a client on one host sends through the first mail server, a client on
 * another host reads it through the second, then the first mail-server host is killed and a
 * client moves on to the second by itself; the store holds each email once.
 */
export async function checkMultiHostLab(
  running: RunningLab,
  report: (step: CheckStep) => void,
): Promise<boolean> {
  const { lab } = running;
  const [mail1, mail2] = lab.mailServers;
  const [client1, client2] = lab.clients;
  if (!client1 || !client2) throw new Error('the check needs two client hosts');
  let passed = true;
  const step = (name: string, ok: boolean, detail: string): void => {
    passed &&= ok;
    report({ name, passed: ok, detail });
  };

  const sent = await terminalClient(
    running,
    client1,
    'client1',
    'client1\npassword1\n1\nclient2\nLab across hosts\nN\nSent from client1.\n4\n',
  );
  step(
    `${client1.name} sends through ${mail1.name}`,
    sent.code === 0 &&
      sent.stdout.includes(`Using the mail server ${mail1.address}:${MAIL_PORT}.`) &&
      sent.stdout.includes('The message is sent to the server.'),
    `exit ${sent.code}`,
  );

  const read = await terminalClient(
    running,
    client2,
    'client2',
    `client2\npassword2\n2\n3\n1\n4\n`,
  );
  step(
    `${client2.name} reads it`,
    read.code === 0 && read.stdout.includes('Sent from client1.'),
    `exit ${read.code}`,
  );

  const mail1Process = running.servers.get(mail1.name);
  if (mail1Process?.pid !== undefined) {
    process.kill(-mail1Process.pid, 'SIGKILL');
    await once(mail1Process, 'exit');
  }
  const failedOver = await terminalClient(
    running,
    client1,
    'client1',
    'client1\npassword1\n1\nclient2\nAfter mail1 died\nN\nStill delivered.\n4\n',
  );
  step(
    `with ${mail1.name} killed (kill -9), ${client1.name} moves on to ${mail2.name}`,
    failedOver.code === 0 &&
      failedOver.stdout.includes(`Using the mail server ${mail2.address}:${MAIL_PORT} (`) &&
      failedOver.stdout.includes('The message is sent to the server.'),
    /Using the mail server [^\n]*/.exec(failedOver.stdout)?.[0] ?? '',
  );

  const copies = await Promise.all(
    ['Lab across hosts', 'After mail1 died'].map((title) => storedCopies(running, title)),
  );
  step(
    `the store on ${lab.database.name} holds each email once`,
    copies.every((count) => count === 1),
    `copies: ${copies.join(', ')}`,
  );
  return passed;
}
