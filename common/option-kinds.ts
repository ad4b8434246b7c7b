/**
 * The kinds of value a program's option takes, each with its reader for a flag (text) and its
 * check for a configuration file (JSON, zod). An option is declared once, in its program's
 * table (mail-server/config/option-table.ts, gateway/web-bridge/option-table.ts), with one of
 * these; the command line (option-command.ts), the file and --print-config (config-file.ts)
 * and --help all come from it.
 */
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { integerArgument } from './program.js';

export type Zod = typeof z;

/** Whether a SIGHUP applies a changed value, or only the next start does (absent: restart). */
export type Reload = 'live' | 'restart';

export interface OptionSpec<T> {
  /** The flag without its dashes, and the key in the configuration file. */
  key: string;
  /** The flag's argument, as --help shows it: `<n>`, `<dir>`. */
  argument: string;
  help: string;
  /** Absent: the option has no value unless given (--home, --config). */
  default?: T;
  /** The default as --help shows it, when it is not the value itself. */
  defaultText?: string;
  choices?: readonly string[];
  reload?: Reload;
  /** The flag may be given again, each time adding its values (a list; an array in the file). */
  repeatable?: boolean;
  /** Reads the flag's text; throws InvalidArgumentError with what is expected. */
  fromText: (text: string) => T;
  /**
   * Checks a value of the configuration file, built with the zod it is given: zod is loaded
   * only when a file is read, so that a server started without one loads fewer modules.
   */
  schema(zod: Zod): z.ZodType<T>;
  /** How --print-config writes the value (a password in a URL is never shown). */
  show?(value: T): string;
}

type Common = Pick<OptionSpec<unknown>, 'key' | 'argument' | 'help' | 'reload'>;

export function integer(
  common: Common & { default: number; min: number; max?: number },
): OptionSpec<number> {
  const max = common.max ?? Number.MAX_SAFE_INTEGER;
  return {
    ...common,
    fromText: integerArgument(common.min, max),
    schema: (zod) => zod.number().int().min(common.min).max(max),
  };
}

export function choice<const C extends readonly [string, ...string[]]>(
  common: Common & { default: C[number]; choices: C },
): OptionSpec<C[number]> {
  return {
    ...common,
    fromText: (text) => {
      if (!common.choices.includes(text))
        throw new InvalidArgumentError(`Allowed choices are ${common.choices.join(', ')}.`);
      return text;
    },
    schema: (zod) => zod.enum(common.choices),
  };
}

/** A value read from text by `read` (which throws with what is expected), from a flag or the file. */
export function parsed<T>(
  common: Common & { default?: T; defaultText?: string; show?: (value: T) => string },
  read: (text: string) => T,
): OptionSpec<T> {
  const fromText = (text: string): T => {
    try {
      return read(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
  const schema = (zod: Zod): z.ZodType<T> =>
    zod.string().transform((text, context): T => {
      try {
        return read(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return zod.NEVER;
      }
    });
  return { ...common, fromText, schema };
}

/**
 * A list of texts, each checked by `read`: the flag is repeated (`--allow-host a --allow-host
 * b`), the file gives an array of at most `max` (`"allow-host": ["a", "b"]`).
 */
export function list(
  common: Common & { default: string[]; defaultText?: string; max: number },
  read: (text: string) => string,
): OptionSpec<string[]> {
  const readOne = (text: string): string => {
    try {
      return read(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
  return {
    ...common,
    repeatable: true,
    fromText: (text) => [readOne(text)],
    schema: (zod) =>
      zod
        .array(zod.string())
        .max(common.max)
        .transform((texts, context): string[] => {
          try {
            return texts.map(read);
          } catch (error) {
            context.addIssue({ code: 'custom', message: (error as Error).message });
            return zod.NEVER;
          }
        }),
  };
}

/** The value each option of a table takes; the options named in `Unset` may have none. */
export type TableValues<
  T extends Record<string, OptionSpec<never> | OptionSpec<unknown>>,
  Unset extends keyof T = never,
> = {
  [K in keyof T]: T[K] extends OptionSpec<infer V> ? (K extends Unset ? V | undefined : V) : never;
};

/** Any text (a folder, a file, an address). */
export const text = (
  common: Common & { default?: string; defaultText?: string },
): OptionSpec<string> =>
  parsed(common, (value) => {
    if (value === '') throw new Error('expected a value, not an empty text');
    return value;
  });
