#!/usr/bin/env node
/**
 * `npm run attack -- <name> [--enhanced]`: runs a real server, a real client and the attacker,
 * performs one attack (or `all`) and prints what it achieved.
 */
import { parseArgs } from 'node:util';
import { runAttack } from './run.js';
import { ATTACKS, type AttackName } from './report.js';

const USAGE = `Usage: npm run attack -- <name|all> [--enhanced]

  impersonation   a fake server answers the login and reads the client's email
  replay          the attacker resends the client's encrypted "send" frames
  splice          ECB blocks pasted between emails redirect a confidential email
  patterns        a passive observer learns the user's operations from equal ciphertext
  guessing        online password guessing against the login
  suppression     the attacker drops an email and makes the client believe it was sent
  tampering       the server's operator edits a stored email on disk (sealed with --enhanced)

  --enhanced      attack the enhanced protocol instead of the classic one
  --json          print the results as JSON`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      enhanced: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
const { values, positionals } = parsed;
const name = positionals[0];
if (values.help || name === undefined) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(name === undefined && !values.help ? 2 : 0);
}
const names: AttackName[] =
  name === 'all' ? [...ATTACKS] : ATTACKS.filter((attack) => attack === name);
if (names.length === 0) {
  process.stderr.write(`unknown attack "${name}"\n\n${USAGE}\n`);
  process.exit(2);
}
const protocol = values.enhanced ? 'enhanced' : 'classic';
const results = [];
for (const attack of names) {
  const report = await runAttack(attack, protocol);
  results.push(report);
  if (!values.json)
    process.stdout.write(
      `== ${attack} against the ${protocol} protocol ==\n${report.lines.join('\n')}\n\n`,
    );
}
if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
