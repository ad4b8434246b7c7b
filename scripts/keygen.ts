#!/usr/bin/env node
/** `npm run keygen -- --out DIR [...]`: key pairs and user_pass.json for a server and its users. */
import { parseArgs } from 'node:util';
import { DEFAULT_USERS, KeySetupError, writeKeySetup } from './key-setup.js';

const USAGE = `Usage: npm run keygen -- --out DIR [options]

  --out DIR            where to write DIR/server/ (the server's home) and DIR/<user>/
                       (each user's machine: its key pair, server_public.pem, and
                       keyring/<name>_public.pem for every user, itself included)
  --users a,b,...      usernames (default client1,client2,client3,client4,client5)
  --passwords p,q,...  their passwords, in the same order (default password1, password2, ...)
  --hash               store scrypt hashes in user_pass.json instead of plain passwords
  --force              replace keys that already exist
  --help               show this text

Folders are made 0700, private keys and user_pass.json 0600, public keys 0644. A symbolic
link at any folder or file, a folder of another user or one writable by group or others
(--out included) stops the run before anything is written, with or without --force.`;

const list = (value: string | undefined): string[] | undefined =>
  value?.split(',').map((item) => item.trim());

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      users: { type: 'string' },
      passwords: { type: 'string' },
      hash: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.out) throw new KeySetupError('--out DIR is required');
  const users = list(values.users) ?? [...DEFAULT_USERS];
  const passwords = await writeKeySetup({
    out: values.out,
    users,
    passwords: list(values.passwords),
    hash: values.hash ?? false,
    force: values.force ?? false,
  });
  process.stdout.write(
    `Wrote the server's home to ${values.out}/server and keys for: ${users.join(', ')}\n`,
  );
  for (const [user, password] of passwords) {
    process.stdout.write(`  ${user}: ${values.out}/${user}/  (password: ${password})\n`);
  }
} catch (error) {
  process.stderr.write(`keygen: ${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(error instanceof KeySetupError || error instanceof TypeError ? 2 : 1);
}
