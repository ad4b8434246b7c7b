#!/usr/bin/env node
/**
 * `npm run keyring -- list|forget NAME [--keys DIR]`: the pins of a user's keyring, which are
 * sealed to the user's own key, so the user's password is asked for (as the terminal client
 * asks it) to open them.
 */
import { Command } from 'commander';
import { Keyring } from '../gateway/protocol-client/keyring.js';
import { keyringFolder, loadClientKeys } from '../gateway/protocol-client/keys.js';
import { LocalSeal } from '../gateway/protocol-client/local-seal.js';
import { LineInput } from '../gateway/terminal/line-input.js';
import { isProtocolError } from '../protocol/errors.js';
import { endQuietlyWhenOutputCloses, parseCommandLine } from '../common/program.js';
import { printable } from '../protocol/text.js';

const command = new Command('npm run keyring --')
  .description("Shows or changes the pins of a user's keyring (sealed to the user's own key).")
  .argument('<action>', '"list" the pinned users and fingerprints, or "forget" NAME\'s pin')
  .argument('[name]', 'for forget: the user whose pin to forget')
  .option(
    '--keys <dir>',
    'where <user>_private.pem is, directly or in DIR/<user>/ (default: the current folder)',
    '.',
  )
  .addHelpText(
    'after',
    `
Asks for your username and password, which unlock your private key on this computer.
Forget a pin only after comparing the user's new key fingerprint with them (in person, by
phone): the next use pins the key then in your keyring, or the server's when it has none.`,
  );

endQuietlyWhenOutputCloses();
const parsed = parseCommandLine(command, process.argv.slice(2));
const [action = '', name] = parsed.args;
const { keys: keysDir } = parsed.opts<{ keys: string }>();

function fail(message: string): never {
  process.stderr.write(`keyring: ${message}\n`);
  process.exit(1);
}

if (action !== 'list' && action !== 'forget') fail(`"${action}" is not list or forget`);
if (action === 'forget' && !name) fail('forget needs the name of the user whose pin to forget');

const input = new LineInput(process.stdin, process.stdout);
const username = (await input.ask('Enter your username: '))?.trim() ?? '';
const password = (await input.askHidden('Enter your password: ')) ?? '';
input.close();

let keyring: Keyring;
try {
  const keys = loadClientKeys(keysDir, username, { passphrase: password });
  keyring = new Keyring(
    keyringFolder(keysDir, username),
    new LocalSeal(keys.privateKey(), username),
  );
  if (action === 'list') {
    const pins = keyring.pinned();
    if (pins.size === 0) process.stdout.write('Nothing is pinned yet.\n');
    for (const [user, prints] of [...pins].sort(([a], [b]) => a.localeCompare(b)))
      process.stdout.write(`${user} ${prints.join(' ')}\n`);
  } else if (keyring.forget(name ?? '')) {
    process.stdout.write(
      `Forgot the pin of ${printable(name ?? '')}: the next use pins the key then in your keyring.\n`,
    );
  } else {
    process.stdout.write(`Nothing was pinned for ${printable(name ?? '')}.\n`);
  }
} catch (error) {
  if (isProtocolError(error, 'WRONG_KEY_PASSPHRASE'))
    fail(`the password does not unlock ${printable(username)}'s private key on this computer`);
  if (isProtocolError(error)) fail(printable(error.message));
  throw error;
}
