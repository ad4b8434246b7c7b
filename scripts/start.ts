#!/usr/bin/env node
/**
 * `npm start`: the whole demo on this machine. Demo keys in keys/demo/ (made when missing),
 * the classic mail server on 13000, the enhanced one on 13001, the web gateway on
 * 127.0.0.1:8080, and the sign-in link printed.
 * Ctrl-C stops everything: the gateway first (its sessions end with menu choice 4), then the server.
 */
import { EXIT_WITH_PARENT } from '../common/exit-with-parent.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { integerArgument, parseCommandLine } from '../common/program.js';
import { childPids } from './lib/server-process.js';
import { DEFAULT_USERS, KeySetupError, writeKeySetup } from './key-setup.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const dist = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** The demo's processes, in the order they started. */
const parts: Part[] = [];

/** A child of the demo whose output lines are shown with its name in front. */
interface Part {
  name: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

function startPart(
  name: string,
  script: string,
  args: string[],
  ready: (line: string) => boolean,
  echo: (line: string, stream: 'stdout' | 'stderr') => boolean,
): Promise<{ part: Part; line: string }> {
  // Its standard input is a pipe from this process: when this one ends, however it ends (a
  // kill -9 too), the pipe closes and the part stops (common/exit-with-parent.ts).
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, [EXIT_WITH_PARENT]: '1' },
  });
  const part: Part = { name, child, exited: once(child, 'exit') };
  // Known from its start, so that Ctrl-C during start-up stops it too.
  parts.push(part);
  return new Promise((resolvePart, reject) => {
    let started = false;
    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      if (echo(line, stream)) process.stdout.write(`[${name}] ${line}\n`);
      if (!started && ready(line)) {
        started = true;
        resolvePart({ part, line });
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine('stdout'));
    createInterface({ input: child.stderr }).on('line', onLine('stderr'));
    child.once('exit', (code, signal) => {
      if (!started)
        reject(
          new Error(
            `the ${name} stopped before it was ready (${signal ?? `exit code ${code ?? '?'}`})`,
          ),
        );
    });
  });
}

/** Asks a part to stop; forces it (and what it started) when it has not within `graceMs`. */
async function stopPart(part: Part, graceMs = 10_000): Promise<void> {
  const { child } = part;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    const pid = child.pid;
    if (pid === undefined) return;
    for (const orphan of childPids(pid)) process.kill(orphan, 'SIGKILL');
    child.kill('SIGKILL');
  }, graceMs);
  await part.exited;
  clearTimeout(timer);
}

function demoUsers(home: string): string[] {
  try {
    const accounts = JSON.parse(readFileSync(resolve(home, 'user_pass.json'), 'utf8')) as Record<
      string,
      string
    >;
    return Object.entries(accounts).map(
      ([user, password]) =>
        `${user} / ${password.startsWith('scrypt$') ? '(hashed password)' : password}`,
    );
  } catch {
    return [];
  }
}

const command = new Command('start')
  .description(
    'The demo: the classic and enhanced mail servers and the web gateway, on the demo keys.',
  )
  .option('--keys <dir>', 'the demo key setup (made when missing)', 'keys/demo')
  .addOption(
    new Option('--server-port <n>', "the mail server's port; 0 picks a free one")
      .default(13000)
      .argParser(integerArgument(0, 65535)),
  )
  .addOption(
    new Option('--enhanced-port <n>', "the enhanced mail server's port; 0 picks a free one")
      .default(13001)
      .argParser(integerArgument(0, 65535)),
  )
  .option('--listen <host:port>', "the gateway's address", '127.0.0.1:8080');
const values = parseCommandLine(command, process.argv.slice(2)).opts<{
  keys: string;
  serverPort: number;
  enhancedPort: number;
  listen: string;
}>();

const keys = resolve(repoRoot, values.keys);
const home = resolve(keys, 'server');
if (!existsSync(resolve(home, 'server_private.pem'))) {
  try {
    await writeKeySetup({ out: keys, users: DEFAULT_USERS });
  } catch (error) {
    if (!(error instanceof KeySetupError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`Demo keys written to ${keys}\n`);
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  stopping = true;
  // The gateway first: it ends its protocol sessions politely while the server still listens.
  for (const part of [...parts].reverse()) await stopPart(part);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    process.stdout.write('\nStopping the gateway and the mail server...\n');
    void stopAll(0);
  });
}

try {
  const { line: listening } = await startPart(
    'mail server',
    dist('mail-server/main.js'),
    ['--home', home, '--port', String(values.serverPort), '--host', '127.0.0.1'],
    (line) => line.includes('"msg":"listening"'),
    // The specification's lines are the demo's story; the JSON diagnostics are not.
    (line, stream) => stream === 'stdout' || !line.startsWith('{'),
  );
  const serverPort = (JSON.parse(listening) as { port: number }).port;
  const { line: enhancedListening } = await startPart(
    'enhanced server',
    dist('mail-server/main-enhanced.js'),
    ['--home', home, '--port', String(values.enhancedPort), '--host', '127.0.0.1'],
    (line) => line.includes('"msg":"listening"'),
    (line, stream) => stream === 'stdout' || !line.startsWith('{'),
  );
  const enhancedPort = (JSON.parse(enhancedListening) as { port: number }).port;
  const { line: urlLine } = await startPart(
    'gateway',
    dist('gateway/main.js'),
    [
      '--keys',
      keys,
      '--listen',
      values.listen,
      '--server',
      `127.0.0.1:${serverPort}`,
      '--enhanced-server',
      `127.0.0.1:${enhancedPort}`,
    ],
    (line) => line.includes('/?token='),
    (line) => !line.includes('/?token='),
  );
  const url = /http:\/\/\S+/.exec(urlLine)?.[0] ?? urlLine;
  const users = demoUsers(home);
  process.stdout.write(
    [
      '',
      'Sealed Mail is running.',
      `  Mail server: 127.0.0.1:${serverPort} (home ${home})`,
      `  Enhanced mail server: 127.0.0.1:${enhancedPort}`,
      `  Open this link in a browser to use the web client:`,
      `    ${url}`,
      ...(users.length > 0
        ? ['  Demo users (username / password):', ...users.map((user) => `    ${user}`)]
        : []),
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );
} catch (error) {
  process.stderr.write(`npm start: ${(error as Error).message}\n`);
  await stopAll(1);
}

for (const part of parts) {
  void part.exited.then(() => {
    if (stopping) return;
    process.stderr.write(`npm start: the ${part.name} stopped; stopping the rest\n`);
    void stopAll(1);
  });
}
