/**
 * The attack lab: a fresh key setup in a temporary folder, the real mail server (classic or
 * enhanced, the built program in dist/) on an ephemeral loopback port, and real clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { writeKeySetup } from '../key-setup.js';

export type Protocol = 'classic' | 'enhanced';

/** The built server: beside this file when it runs from dist/, under dist/ when tests run the source. */
function serverScript(name: string): string {
  const beside = fileURLToPath(new URL(`../../mail-server/${name}`, import.meta.url));
  return existsSync(beside)
    ? beside
    : fileURLToPath(new URL(`../../dist/mail-server/${name}`, import.meta.url));
}

const SERVER_SCRIPTS: Record<Protocol, string> = {
  classic: serverScript('main.js'),
  enhanced: serverScript('main-enhanced.js'),
};

export const USERS = ['client1', 'client2', 'client3', 'client4', 'client5'] as const;
export const passwordOf = (user: string): string => `password${user.replace(/\D/g, '')}`;

export interface StoredFile {
  name: string;
  text: string;
}

let template: Promise<string> | undefined;

/**
 * Key pairs are made once per process and copied into each lab: every lab still gets its own
 * inboxes and its own server, without waiting for six RSA key generations each time.
 */
function keyTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-attack-keys-'));
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
    await writeKeySetup({ out: dir, users: USERS });
    return dir;
  })();
  return template;
}

/** Removes the key template (the CLI's exit does it too; a test runner's worker may not exit). */
export async function removeKeyTemplate(): Promise<void> {
  const made = template;
  template = undefined;
  if (made) rmSync(await made, { recursive: true, force: true });
}

interface Running {
  server: ChildProcess;
  port: number;
  stdout: string[];
  stderr: string[];
}

/** Starts the built server on the lab's home; resolves once it accepts connections. */
async function startServer(protocol: Protocol, dir: string, store?: string): Promise<Running> {
  const server = spawn(
    process.execPath,
    [
      SERVER_SCRIPTS[protocol],
      '--home',
      join(dir, 'server'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--spare',
      '2',
      '--log-level',
      'info',
      ...(store === undefined ? [] : ['--store', store]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (lines: string[], stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
  };
  collect(stdout, server.stdout);
  collect(stderr, server.stderr);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const listening = stderr.find((line) => line.includes('"msg":"listening"'));
      if (listening && stdout.includes('The server is ready to accept connections')) {
        clearInterval(timer);
        resolve((JSON.parse(listening) as { port: number }).port);
      }
    }, 20);
    server.once('exit', (code) => {
      clearInterval(timer);
      reject(
        new Error(`the ${protocol} server exited (${code ?? 'signal'}): ${stderr.join('\n')}`),
      );
    });
  });
  return { server, port, stdout, stderr };
}

export interface LabOptions {
  /** The server's `--store` (a PostgreSQL URL); the home's inbox folders when absent. */
  store?: string;
}

export class Lab {
  readonly protocol: Protocol;
  readonly dir: string;
  readonly #store: string | undefined;
  #running: Running;

  private constructor(protocol: Protocol, dir: string, running: Running, store?: string) {
    this.protocol = protocol;
    this.dir = dir;
    this.#running = running;
    this.#store = store;
  }

  get port(): number {
    return this.#running.port;
  }

  get #stdout(): string[] {
    return this.#running.stdout;
  }

  get #stderr(): string[] {
    return this.#running.stderr;
  }

  /** Makes the keys and starts the server; resolves once it accepts connections. */
  static async start(protocol: Protocol, options: LabOptions = {}): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-attack-'));
    cpSync(await keyTemplate(), dir, { recursive: true });
    return new Lab(protocol, dir, await startServer(protocol, dir, options.store), options.store);
  }

  /** Stops the server and starts it again on the same home and store (on a new port). */
  async restart(): Promise<void> {
    await this.#stopServer();
    this.#running = await startServer(this.protocol, this.dir, this.#store);
  }

  /** A real client of the lab's protocol, signed in through `port` (the proxy's, or the server's). */
  signIn(user: string, port = this.port, password = passwordOf(user)): Promise<MailClient> {
    return openSession({
      host: '127.0.0.1',
      port,
      credentials: { username: user, password },
      keys: loadClientKeys(join(this.dir, user), user, { passphrase: passwordOf(user) }),
      channel: this.protocol,
      replyTimeoutMs: 20_000,
    });
  }

  keysOf(user: string): string {
    return join(this.dir, user);
  }

  /** The emails stored in a user's inbox folder on the server. */
  inbox(user: string): StoredFile[] {
    const folder = join(this.dir, 'server', user);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((name) => !name.startsWith('.'))
      .sort()
      .map((name) => ({ name, text: readFileSync(join(folder, name), 'utf8') }));
  }

  /** What the server printed on stdout (the specification's lines, and the enhanced ones). */
  serverLines(): string[] {
    return this.#stdout.slice();
  }

  /** The server's diagnostics (JSON lines on stderr). */
  serverLog(): string[] {
    return this.#stderr.slice();
  }

  /** Waits until the server has printed a line matching `predicate` (or gives up quietly). */
  async waitForServerLine(
    predicate: (line: string) => boolean,
    timeoutMs = 5000,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#stdout.some(predicate)) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  async stop(): Promise<void> {
    await this.#stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #stopServer(): Promise<void> {
    const { server } = this.#running;
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  }
}
