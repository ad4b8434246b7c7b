/**
 * The terminal client's questions: one asked of the person, and the email asked for field by
 * field as the sample sessions do (terminal-client.ts).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { splitRecipients, type EmailError } from '../../protocol/email.js';
import { MAX_CONTENT_CHARS, MAX_TITLE_CHARS } from '../../protocol/limits.js';
import { codePointLength } from '../../protocol/text.js';
import { clientLines } from '../../protocol/texts.js';
import { decodeUtf8 } from '../../protocol/utf8.js';
import type { Draft } from '../protocol-client/mail-client.js';
import type { LineInput } from './line-input.js';

/** Where questions are asked and answers read (TerminalOptions). */
export interface Prompter {
  input: LineInput;
  write: (text: string) => void;
}

/** Thrown when input ends in the middle of a question. */
export class InputEnded extends Error {}

/** Asks a question of the person; the end of input ends the session. */
export function asker(options: Pick<Prompter, 'input'>): (prompt: string) => Promise<string> {
  return async (prompt) => {
    const line = await options.input.ask(prompt);
    if (line === null) throw new InputEnded();
    return line;
  };
}

async function readContentFile(name: string): Promise<string> {
  const bytes = await readFile(resolve(name));
  return decodeUtf8(bytes);
}

/** Asks for the email the way the sample sessions do, re-asking a field until it is valid. */
export function composer(options: Prompter): (problem?: EmailError) => Promise<Draft> {
  const { write } = options;
  const ask = asker(options);
  return async (problem) => {
    if (problem) write(`The email cannot be sent: ${problem.message}.\n`);
    let to: string[];
    for (;;) {
      to = splitRecipients(await ask(clientLines.destinationsPrompt));
      if (to.length > 0) break;
      write('Enter at least one destination.\n');
    }
    let title: string;
    for (;;) {
      title = await ask(clientLines.titlePrompt);
      const length = codePointLength(title);
      if (length <= MAX_TITLE_CHARS) break;
      write(
        `The title has ${length} characters; the limit is ${MAX_TITLE_CHARS}. Enter a shorter title.\n`,
      );
    }
    for (;;) {
      const fromFile = (await ask(clientLines.loadFromFilePrompt))
        .trim()
        .toUpperCase()
        .startsWith('Y');
      let content: string;
      if (fromFile) {
        const name = await ask(clientLines.filenamePrompt);
        try {
          content = await readContentFile(name);
        } catch (error) {
          write(`Cannot load ${name}: ${(error as Error).message}\n`);
          continue;
        }
      } else {
        content = await ask(clientLines.contentsPrompt);
      }
      const length = codePointLength(content);
      if (length <= MAX_CONTENT_CHARS) return { to, title, content };
      write(
        `The content has ${length} characters; the limit is ${MAX_CONTENT_CHARS}. Nothing was sent.\n`,
      );
    }
  };
}
