/**
 * New mail pushed by the server (session version 2) against the listing every 10 s it
 * replaced: how long an email takes from another client's send to the browser's new-mail
 * event, through the real gateway; and the mail server's CPU while 100 signed-in sessions sit
 * idle for 60 s, watching with the gateway's own NewMailWatch, pushed or polling (and, for the
 * floor, not watching at all).
 */
import { join } from 'node:path';
import type { Reply } from '../../gateway/messages.js';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { buildGateway } from '../../gateway/web-bridge/app.js';
import { defaultGatewayOptions } from '../../gateway/web-bridge/config.js';
import { NewMailWatch, waitSecondsWithin } from '../../gateway/web-bridge/new-mail.js';
import { SessionVersion } from '../../protocol/enhanced/suite.js';
import { childPids, cpuMs, spawnMailServer, type ServerProcess } from '../lib/server-process.js';
import { listenForBrowsers, Tab } from './gateway.js';
import { percentile } from './stats.js';

const LATENCY_ROUNDS = 30;
const IDLE_SESSIONS = 100;
const IDLE_SECONDS = 60;
/** The gateway's listing interval where the server cannot push (its --poll default). */
const POLL_MS = 10_000;
/** The gateway's reply timeout, which bounds how long each wait lasts. */
const REPLY_TIMEOUT_MS = defaultGatewayOptions.replyTimeoutMs;

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

function signIn(dir: string, port: number, user: string, version?: number): Promise<MailClient> {
  return openSession({
    host: '127.0.0.1',
    port,
    channel: 'enhanced',
    credentials: { username: user, password: `password${user.replace(/\D/g, '')}` },
    keys: loadClientKeys(dir, user, { passphrase: `password${user.replace(/\D/g, '')}` }),
    replyTimeoutMs: REPLY_TIMEOUT_MS,
    version,
  });
}

/** From the moment another client sends to the moment the browser's socket hears of it. */
async function deliveryToBrowser(dir: string, server: ServerProcess): Promise<number[]> {
  const gateway = await buildGateway({
    keysDir: dir,
    servers: { enhanced: [{ host: '127.0.0.1', port: server.port }] },
    webRoot: join(dir, 'no-ui'),
    pollSeconds: POLL_MS / 1000,
  });
  try {
    const { base, cookie } = await listenForBrowsers(gateway);
    const tab = await Tab.open(base, cookie);
    const signedIn = await tab.signIn('client1', 'enhanced');
    if (!signedIn.capabilities.pushedMail) throw new Error('the session does not push new mail');
    await tab.ask('inbox', { type: 'listInbox' });
    const sender = await signIn(dir, server.port, 'client2');
    const spans: number[] = [];
    for (let i = 0; i < LATENCY_ROUNDS; i++) {
      // Time for the gateway's session to be waiting again after the last delivery.
      await pause(300);
      const arrived = new Promise<void>((resolve) => {
        tab.onEvent = (event: Reply) => {
          if (event.type === 'newMail') resolve();
        };
      });
      const start = performance.now();
      await sender.send({ to: ['client1'], title: `push ${i}`, content: 'New mail.' });
      await arrived;
      spans.push(performance.now() - start);
    }
    await sender.terminate();
    await tab.close();
    return spans;
  } finally {
    await gateway.close();
  }
}

/** CPU used by the server's parent and session processes over `seconds`, in ms. */
async function serverCpuOver(server: ServerProcess, seconds: number): Promise<number> {
  const pids = [server.child.pid ?? 0, ...childPids(server.child.pid ?? 0)];
  const used = (): number => pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  const before = used();
  await pause(seconds * 1000);
  return used() - before;
}

/** `count` sessions signed in and watching for new mail as the gateway's session children do. */
async function idleSessions(
  dir: string,
  port: number,
  count: number,
  version: number,
  watching: boolean,
): Promise<{ pushed: boolean; failures: unknown[]; stop: () => Promise<void> }> {
  const clients: MailClient[] = [];
  const watches: NewMailWatch[] = [];
  const failures: unknown[] = [];
  const users = ['client3', 'client4', 'client5'];
  // In groups of 8, the logins one address may have in progress at once (--max-logins-per-address).
  for (let i = 0; i < count; i += 8) {
    const group = await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, (_, j) =>
        signIn(dir, port, users[(i + j) % users.length] ?? 'client3', version),
      ),
    );
    clients.push(...group);
  }
  for (const client of clients) {
    const watch = new NewMailWatch(
      client,
      POLL_MS,
      {
        found: () => Promise.resolve(),
        failed: (error) => {
          failures.push(error);
          return Promise.resolve();
        },
      },
      waitSecondsWithin(REPLY_TIMEOUT_MS),
    );
    if (watching) watch.start();
    watches.push(watch);
  }
  return {
    pushed: watches.every((watch) => watch.pushed),
    failures,
    stop: async () => {
      for (const watch of watches) watch.stop();
      await Promise.all(clients.map((client) => client.terminate().catch(() => undefined)));
    },
  };
}

export async function benchPush(dir: string): Promise<Record<string, number | string>> {
  const server = await spawnMailServer({
    home: join(dir, 'server'),
    enhanced: true,
    args: ['--spare', '4', '--max-sessions', String(IDLE_SESSIONS + 20)],
  });
  try {
    const spans = await deliveryToBrowser(dir, server);
    const cpu: Record<'pushed' | 'polled' | 'unwatched', number> = {
      pushed: 0,
      polled: 0,
      unwatched: 0,
    };
    for (const [mode, version] of [
      ['pushed', SessionVersion.mailbox],
      ['polled', SessionVersion.original],
      // The floor: signed in, nothing watching (what idle processes cost by themselves).
      ['unwatched', SessionVersion.mailbox],
    ] as const) {
      const watching = mode !== 'unwatched';
      const sessions = await idleSessions(dir, server.port, IDLE_SESSIONS, version, watching);
      if (watching && sessions.pushed !== (mode === 'pushed'))
        throw new Error(`the sessions are not ${mode}`);
      // Let the first listings and waits settle before measuring.
      await pause(5000);
      cpu[mode] = await serverCpuOver(server, IDLE_SECONDS);
      await sessions.stop();
      if (sessions.failures.length > 0)
        throw new Error(
          `${sessions.failures.length} idle sessions failed: ${String(sessions.failures[0])}`,
        );
    }
    return {
      new_mail_to_browser_rounds: spans.length,
      new_mail_to_browser_p50_ms: percentile(spans, 50),
      new_mail_to_browser_p99_ms: percentile(spans, 99),
      [`server_cpu_ms_${IDLE_SESSIONS}_idle_sessions_${IDLE_SECONDS}s_pushed`]: cpu.pushed,
      [`server_cpu_ms_${IDLE_SESSIONS}_idle_sessions_${IDLE_SECONDS}s_polled_every_${POLL_MS / 1000}s`]:
        cpu.polled,
      [`server_cpu_ms_${IDLE_SESSIONS}_idle_sessions_${IDLE_SECONDS}s_not_watching`]: cpu.unwatched,
    };
  } finally {
    await server.stop();
  }
}
