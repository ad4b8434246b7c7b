/**
 * Each mistake an operator or a user makes gets one line saying what is wrong and what to do,
 * never a stack trace, from the real programs: the server's store URL and a database that asks
 * for a password nobody gave, keygen's --out, lab status, the gateway's folders, and the
 * terminal client's keys (a folder without the server key, a stale server key, a private key
 * that is not the user's).
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAtLeast } from '../../common/version.js';
import { encryptPrivateKey } from '../../gateway/protocol-client/key-at-rest.js';
import { makeKeySetup, serverHome } from '../helpers/keys.js';
import { distPath, runNode, Spawned } from '../helpers/processes.js';
import { startMailServer, type RunningServer } from '../helpers/server.js';

const STACK_LINE = /^\s+at /m;

let keys: { dir: string; cleanup: () => void };
let scratch: string;

beforeAll(async () => {
  keys = await makeKeySetup(['client1', 'client2']);
  scratch = mkdtempSync(join(tmpdir(), 'sealed-mail-messages-'));
});
afterAll(() => {
  keys.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function runServer(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const server = new Spawned(
    'node',
    [distPath('mail-server/main.js'), '--home', serverHome(keys.dir), '--port', '0', ...args],
    { env },
  );
  const { code } = await server.exited;
  return { code, stderr: server.stderrLines.join('\n') };
}

/**
 * A TCP server that answers a PostgreSQL client's startup as a server requiring SCRAM does
 * (AuthenticationSASL, then the server's first message), where node-postgres without a
 * password gives up.
 */
async function saslOnlyDatabase(): Promise<Server> {
  /** An authentication request: 'R', its length, its code, its data. */
  const authentication = (code: number, data: Buffer): Buffer => {
    const message = Buffer.alloc(9 + data.length);
    message.write('R');
    message.writeInt32BE(8 + data.length, 1);
    message.writeInt32BE(code, 5);
    data.copy(message, 9);
    return message;
  };
  const server = createServer((socket) => {
    let answered = 0;
    socket.on('data', () => {
      // The startup message, then the client's first SCRAM message: SASL, then SASLContinue.
      answered++;
      if (answered === 1) socket.write(authentication(10, Buffer.from('SCRAM-SHA-256\0\0')));
      else if (answered === 2)
        socket.write(authentication(11, Buffer.from('r=nonce,s=c2FsdA==,i=4096')));
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('the mail server at start', () => {
  it('refuses a PostgreSQL URL without a host, with a port that is not a number or a connect_timeout out of range', async () => {
    const bare = await runServer(['--store', 'postgres://']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(
      'the URL names no host; expected postgres://user@host:port/database',
    );
    const port = await runServer(['--store', 'postgres://mail@db:fivefour/mail']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('the port "fivefour" is not a number');
    const noDatabase = await runServer(['--store', 'postgres://mail@db:5432']);
    expect(noDatabase.stderr).toContain('the URL names no database');
    const forever = await runServer(['--store', 'postgres://mail@db:5432/mail?connect_timeout=0']);
    expect(forever.code).toBe(2);
    expect(forever.stderr).toContain(
      'connect_timeout=0 in the PostgreSQL URL: write a whole number of seconds from 1 to 3600',
    );
  });

  it('says to set PGPASSWORD when the database asks for a password and none was given', async () => {
    const database = await saslOnlyDatabase();
    try {
      const { port } = database.address() as { port: number };
      const env = { ...process.env };
      delete env.PGPASSWORD;
      const started = await runServer(['--store', `postgres://mail@127.0.0.1:${port}/mail`], env);
      expect(started.code).toBe(1);
      expect(started.stderr).toContain('asks for a password and none was given: set PGPASSWORD');
      expect(started.stderr).not.toContain('client password must be a string');
      expect(started.stderr).not.toMatch(STACK_LINE);
    } finally {
      database.close();
    }
  });
});

describe('keygen, lab and the gateway', () => {
  it('keygen makes only the last folder of --out', async () => {
    const out = join(scratch, 'missing', 'deep', 'dir');
    const made = await runNode('scripts/keygen.js', ['--out', out, '--users', 'alice']);
    expect(made.code).toBe(2);
    expect(made.stderr).toContain(
      `${join(scratch, 'missing', 'deep')} does not exist: create it first`,
    );
    expect(existsSync(join(scratch, 'missing'))).toBe(false);
  });

  it('lab status of a lab that is not up exits 1, saying how to make it', async () => {
    const status = await runNode('scripts/lab/main.js', ['status', '--id', 'doesnotexist']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('no lab doesnotexist is up');
    expect(status.stdout).toBe('');
  });

  it('the gateway refuses to start without a built UI or without any private key', async () => {
    const noUi = await runNode('gateway/main.js', [
      '--keys',
      keys.dir,
      '--listen',
      '127.0.0.1:0',
      '--web-root',
      '/does/not/exist',
    ]);
    expect(noUi.code).toBe(1);
    expect(noUi.stderr).toBe(
      'gateway: --web-root /does/not/exist is not a folder: build the UI (npm run build) or name the folder that holds index.html',
    );
    const publicOnly = join(scratch, 'public-only');
    mkdirSync(publicOnly);
    copyFileSync(
      join(keys.dir, 'client1', 'server_public.pem'),
      join(publicOnly, 'server_public.pem'),
    );
    const noKeys = await runNode('gateway/main.js', [
      '--keys',
      publicOnly,
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toContain(`--keys ${publicOnly} holds no <user>_private.pem`);
    // The server's home given for the users' keys: its server_private.pem is no user's key.
    const serverHomeAsKeys = await runNode('gateway/main.js', [
      '--keys',
      join(keys.dir, 'server'),
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(serverHomeAsKeys.code).toBe(1);
    expect(serverHomeAsKeys.stderr).toContain(
      `--keys ${join(keys.dir, 'server')} is a mail server's home`,
    );
  });

  it('compares Node versions as engines.node means them', () => {
    expect(isAtLeast('20.20.2', '20.19')).toBe(true);
    expect(isAtLeast('20.19.0', '20.19')).toBe(true);
    expect(isAtLeast('20.18.3', '20.19')).toBe(false);
    expect(isAtLeast('22.0.0', '20.19')).toBe(true);
    expect(isAtLeast('18.20.0', '20.19')).toBe(false);
  });
});

describe('the terminal client and its keys', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startMailServer(serverHome(keys.dir));
  });
  afterAll(async () => {
    await server.stop();
  });

  const client = (keysDir: string, lines: string[]) =>
    runNode('gateway/terminal/main.js', ['--port', String(server.port), '--keys', keysDir], {
      input: `${lines.join('\n')}\n`,
    });

  it('checks the key folder before it asks for the password', async () => {
    const empty = join(scratch, 'empty-keys');
    mkdirSync(empty);
    const { code, stdout } = await client(empty, ['127.0.0.1', 'client1', 'password1']);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `Enter the server IP or name: Enter your username: no server_public.pem in ${empty} or ${join(empty, 'client1')}: name the folder of your bundle with --keys DIR (it holds server_public.pem and client1_private.pem)\nTerminating.\n`,
    );
  });

  it('says the server key may be stale when the password unlocked the key but the server refused, keeping the seed lines', async () => {
    const stale = join(scratch, 'stale');
    mkdirSync(stale);
    copyFileSync(
      join(keys.dir, 'client1', 'client1_private.pem'),
      join(stale, 'client1_private.pem'),
    );
    // Another server's key: the login blob is sealed to a key this server does not hold.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(
      join(stale, 'server_public.pem'),
      other.publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const { code, stdout } = await client(stale, ['127.0.0.1', 'client1', 'password1']);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "The server may hold another key than this computer's server_public.pem (a stale bundle: ask the administrator for a new one, sealed-mail-admin keys client1)",
    );
    expect(stdout.endsWith('Invalid username or password.\nTerminating.\n')).toBe(true);
  });

  it("says a private key that is not the user's on the server is not theirs, not 'RSA-OAEP decryption failed'", async () => {
    const wrong = join(scratch, 'wrong-key');
    mkdirSync(wrong);
    copyFileSync(join(keys.dir, 'client1', 'server_public.pem'), join(wrong, 'server_public.pem'));
    const another = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(
      join(wrong, 'client1_private.pem'),
      encryptPrivateKey(another.privateKey, 'password1'),
      {
        mode: 0o600,
      },
    );
    const { code, stdout } = await client(wrong, ['127.0.0.1', 'client1', 'password1']);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "the session key from the server does not open with client1's private key on this computer: the server holds another public key for client1; ask the administrator for your bundle (sealed-mail-admin keys client1)",
    );
    expect(stdout).not.toContain('RSA-OAEP');
  });
});
