#!/usr/bin/env node
/**
 * `npm run encrypt-key -- FILE`: encrypts a plain `<user>_private.pem` in place under the
 * user's password (or a passphrase of their own), so that the clients unlock it only with what
 * the person types. The passphrase is asked for, never taken from the command line.
 */
import { createPrivateKey } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { Command } from 'commander';
import { readRegularFile, writeFileSafely } from '../common/safe-files.js';
import { encryptPrivateKey, isEncryptedKey } from '../gateway/protocol-client/key-at-rest.js';
import { checkPrivateKeyFile } from '../gateway/protocol-client/keys.js';
import { LineInput } from '../gateway/terminal/line-input.js';
import { parseCommandLine } from '../common/program.js';

const command = new Command('npm run encrypt-key --')
  .description(
    "Encrypts a user's private key file in place (PKCS#8, scrypt, AES-256) under the user's password.",
  )
  .argument('<file>', 'the <user>_private.pem to encrypt')
  .addHelpText(
    'after',
    `
The passphrase is asked for twice on a terminal (once when piped), without echo. Use the
user's password: the terminal client and the gateway unlock the key with the password typed at
sign-in. A key that is already encrypted is left as it is.`,
  );

const file = parseCommandLine(command, process.argv.slice(2)).args[0] ?? '';

function fail(message: string): never {
  process.stderr.write(`encrypt-key: ${message}\n`);
  process.exit(1);
}

let pem: Buffer | undefined;
try {
  checkPrivateKeyFile(file);
  pem = readRegularFile(file, 64 * 1024);
} catch (error) {
  fail((error as Error).message);
}
if (!pem) fail(`${file} is not a regular file`);
if (isEncryptedKey(pem)) {
  process.stdout.write(`${file} is already encrypted; nothing was changed.\n`);
  process.exit(0);
}
let key;
try {
  key = createPrivateKey(pem);
} catch {
  fail(`${file} is not a PEM private key`);
}

const input = new LineInput(process.stdin, process.stdout);
const passphrase = await input.askNewSecret("New passphrase (the user's password): ");
input.close();
if (passphrase === undefined) fail('the two did not match; nothing was changed');
if (!passphrase) fail('no passphrase given; nothing was changed');

writeFileSafely(dirname(file), basename(file), encryptPrivateKey(key, passphrase), {
  mode: 0o600,
  place: 'replace',
});
process.stdout.write(`${file} is now encrypted; sign in with that password to unlock it.\n`);
