/**
 * The attacker in the middle against the operations of session version 2: a delete replayed,
 * reordered with its menu choice, or truncated, through the attack lab's proxy between a real
 * enhanced client and the real enhanced server. Each is refused by the record layer, the
 * session ends, and the inbox on disk holds exactly what the honest client asked for.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { Lab, removeKeyTemplate } from '../../scripts/attack/lab.js';
import { startProxy, type ClientFrameHandler, type Proxy } from '../../scripts/attack/proxy.js';

const TITLES = ['first', 'second', 'third'];

let lab: Lab | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await lab?.stop();
  lab = undefined;
});
afterAll(removeKeyTemplate);

/** A lab whose client1 has three emails from client2. */
async function labWithMail(): Promise<Lab> {
  lab = await Lab.start('enhanced');
  const sender = await lab.signIn('client2');
  for (const title of TITLES) await sender.send({ to: ['client1'], title, content: `${title}.` });
  await sender.terminate();
  return lab;
}

const titlesOnDisk = (lab: Lab): string[] =>
  lab
    .inbox('client1')
    .map((file) => /^Title: (.*)$/m.exec(file.text)?.[1] ?? '')
    .sort();

/**
 * client1 signs in through a proxy that hands the frames of its delete (the choice "5" and the
 * request) to `attack`, lists, and deletes the email titled "first". Resolves with what the
 * client saw of the delete.
 */
async function deleteThrough(
  lab: Lab,
  attack: (
    frames: { choice: Buffer; request: Buffer },
    send: (frame: Buffer) => Promise<void>,
  ) => Promise<void>,
): Promise<unknown> {
  let deleteFrom = Infinity;
  let choice: Buffer | undefined;
  const handler: ClientFrameHandler = async (frame, index, relay) => {
    if (index < deleteFrom) return frame;
    if (index === deleteFrom) {
      choice = frame;
      return undefined;
    }
    if (index === deleteFrom + 1 && choice) {
      await attack({ choice, request: frame }, (bytes) => relay.inject(bytes));
      return undefined;
    }
    return frame;
  };
  let deleteBefore = (): number => Infinity;
  proxy = await startProxy(lab.port, handler, (relay) => {
    // The frames the client has sent when it starts its delete: the next is its choice "5".
    deleteBefore = () => relay.clientFrames().length;
  });
  const client: MailClient = await lab.signIn('client1', proxy.port);
  const { rows } = await client.listInbox();
  const first = rows.find((row) => row.title === 'first');
  deleteFrom = deleteBefore();
  const outcome = await client.delete(first?.id ?? '').then(
    (result) => ({ result }),
    (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
  );
  client.destroy();
  await proxy.finished;
  return outcome;
}

describe('attacks on session version 2 operations', () => {
  it('a delete replayed after it was carried out ends the session and deletes nothing more', async () => {
    const lab = await labWithMail();
    await deleteThrough(lab, async ({ choice, request }, send) => {
      await send(choice);
      await send(request);
      // The same two records again: as if the client had asked for a second delete.
      await send(choice);
      await send(request);
    });
    expect(await lab.waitForServerLine((line) => line.includes('failed authentication'))).toBe(
      true,
    );
    expect(titlesOnDisk(lab)).toEqual(['second', 'third']);
  });

  it('a delete whose request comes before its menu choice is refused, and nothing is deleted', async () => {
    const lab = await labWithMail();
    const seen = await deleteThrough(lab, async ({ choice, request }, send) => {
      await send(request);
      await send(choice);
    });
    expect(seen).toHaveProperty('error');
    expect(await lab.waitForServerLine((line) => line.includes('failed authentication'))).toBe(
      true,
    );
    expect(titlesOnDisk(lab)).toEqual(['first', 'second', 'third']);
  });

  it('a delete request cut short is refused, and nothing is deleted', async () => {
    const lab = await labWithMail();
    const seen = await deleteThrough(lab, async ({ choice, request }, send) => {
      await send(choice);
      await send(request.subarray(0, request.length - 16));
    });
    expect(seen).toHaveProperty('error');
    expect(await lab.waitForServerLine((line) => line.includes('failed authentication'))).toBe(
      true,
    );
    expect(titlesOnDisk(lab)).toEqual(['first', 'second', 'third']);
  });
});
