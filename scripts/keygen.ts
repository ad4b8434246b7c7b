#!/usr/bin/env node
/** `npm run keygen -- --out DIR [...]`: key pairs and user_pass.json for a server and its users. */
import { requireSupportedNode, versionLine } from '../common/version.js';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { endQuietlyWhenOutputCloses, parseCommandLine } from '../common/program.js';
import { DEFAULT_USERS, KeySetupError, writeKeySetup } from './key-setup.js';

requireSupportedNode('sealed-mail-keygen');

const list = (value: string): string[] => value.split(',').map((item) => item.trim());

const command = new Command('keygen')
  .description('Key pairs and user_pass.json for a server and its users.')
  .version(versionLine())
  .requiredOption(
    '--out <dir>',
    "where to write DIR/server/ (the server's home) and DIR/<user>/ (each user's machine: its key pair, server_public.pem, and keyring/<name>_public.pem for every user, itself included)",
  )
  .addOption(
    new Option('--users <a,b,...>', 'usernames')
      .default([...DEFAULT_USERS], DEFAULT_USERS.join(','))
      .argParser(list),
  )
  .option(
    '--passwords <p,q,...>',
    'their passwords, in the same order (default password1, password2, ...)',
    list,
  )
  .option('--hash', 'store scrypt hashes in user_pass.json instead of plain passwords', false)
  .option(
    '--plain-keys',
    "write unencrypted private keys (the specification's PEM, for implementations that cannot read an encrypted key) instead of keys encrypted under each user's password",
    false,
  )
  .option('--force', 'replace keys that already exist', false)
  .addHelpText(
    'after',
    `
Private keys are encrypted under each user's password (PKCS#8, scrypt, AES-256), so that only
the person who knows it can use the key on their machine, whatever a server answers; the
clients unlock them with the password typed at sign-in. Folders are made 0700, private keys and
user_pass.json 0600, public keys 0644. A symbolic
link at any folder or file, a folder of another user or one writable by group or others
(--out included) stops the run before anything is written, with or without --force.`,
  );

endQuietlyWhenOutputCloses();
const values = parseCommandLine(command, process.argv.slice(2)).opts<{
  out: string;
  users: string[];
  passwords?: string[];
  hash: boolean;
  plainKeys: boolean;
  force: boolean;
}>();

/** keygen makes --out, never the folders above it: a mistyped path must not become a tree. */
function requireParentFolder(out: string): void {
  const parent = dirname(resolve(out));
  if (!existsSync(parent) || !statSync(parent).isDirectory())
    throw new KeySetupError(
      `${parent} does not exist: create it first (mkdir -p ${parent}) or choose another --out; keygen makes only the last folder of --out`,
    );
}

try {
  requireParentFolder(values.out);
  const users = values.users;
  const passwords = await writeKeySetup({
    out: values.out,
    users,
    passwords: values.passwords,
    hash: values.hash,
    plainKeys: values.plainKeys,
    force: values.force,
  });
  process.stdout.write(
    `Wrote the server's home to ${values.out}/server and keys for: ${users.join(', ')}\n`,
  );
  for (const [user, password] of passwords) {
    process.stdout.write(`  ${user}: ${values.out}/${user}/  (password: ${password})\n`);
  }
} catch (error) {
  process.stderr.write(`keygen: ${(error as Error).message}\n`);
  process.exit(error instanceof KeySetupError ? 2 : 1);
}
