/**
 * A program's configuration file (JSON): an object whose keys are the flags' names without the
 * dashes (`"max-sessions": 250`, `"store": "postgres://mail@db/mail"`), each checked by the
 * option table's schema (option-kinds.ts). Flags given on the command line win over the file;
 * the file wins over the defaults. `resolveOptions` says where each value came from, for
 * --print-config. The mail servers and the gateway read theirs here.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { OptionSpec } from './option-kinds.js';

/** Bounds before parsing: a configuration is a few kilobytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export type Source = 'default' | 'file' | 'flag';

export interface Resolved<V> {
  values: V;
  sources: Record<keyof V & string, Source | 'unset'>;
}

type Table = Record<string, OptionSpec<unknown>>;

/** The file's values by the table's names; throws an Error naming the file and every mistake. */
export async function readConfigFile(path: string, table: Table): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CONFIG_BYTES)
      throw new Error(`is larger than ${MAX_CONFIG_BYTES / 1024} KiB: not a configuration file`);
    text = bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${path}: ${code === 'ENOENT' ? 'no such file: check the path given to --config' : code === 'EACCES' ? 'cannot be read (permissions)' : (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: is not valid JSON (${(error as Error).message})`);
  }
  const { z: zod } = await import('zod');
  const shape: Record<string, z.ZodType> = {};
  const nameOfKey = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    shape[spec.key] = spec.schema(zod).optional();
    nameOfKey.set(spec.key, name);
  }
  const checked = zod.strictObject(shape).safeParse(json);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys')
        return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')} (--help lists them; a key is a flag's name without the dashes)`;
      const where = issue.path.length > 0 ? `"${issue.path.join('.')}"` : 'the file';
      return `${where}: ${issue.message}`;
    });
    throw new Error(`${path}: ${problems.join('; ')}`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(checked.data))
    if (value !== undefined) values[nameOfKey.get(key) ?? key] = value;
  return values;
}

/**
 * Each option's value and where it came from: a flag given on the command line, else the
 * file, else the default.
 */
export function resolveOptions<V extends Record<string, unknown>>(
  table: Table,
  fromFlags: Partial<V>,
  flagsGiven: ReadonlySet<string>,
  fromFile: Record<string, unknown>,
): Resolved<V> {
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source | 'unset'> = {};
  for (const [name, spec] of Object.entries(table)) {
    if (flagsGiven.has(name)) {
      values[name] = fromFlags[name];
      sources[name] = 'flag';
    } else if (name in fromFile) {
      values[name] = fromFile[name];
      sources[name] = 'file';
    } else {
      values[name] = spec.default;
      // A default said in words (the --keys folder's .gateway-data) is a default all the same.
      sources[name] =
        spec.default === undefined && spec.defaultText === undefined ? 'unset' : 'default';
    }
  }
  return { values: values as V, sources: sources };
}

/** --print-config: one line per option, `key = value  # source`, in the table's order. */
export function formatConfig<V extends Record<string, unknown>>(
  table: Table,
  resolved: Resolved<V>,
  configPath: string | undefined,
): string {
  const lines = [
    `# effective configuration${configPath ? ` (file: ${configPath})` : ' (no --config file)'}`,
  ];
  const keyWidth = Math.max(...Object.values(table).map((spec) => spec.key.length));
  for (const [name, spec] of Object.entries(table)) {
    const value = resolved.values[name];
    const shown =
      value === undefined
        ? `(${spec.defaultText ?? 'none'})`
        : JSON.stringify(spec.show ? spec.show(value) : value);
    const source = resolved.sources[name as keyof V & string];
    const live = spec.reload === 'live' ? ', reloads on SIGHUP' : '';
    lines.push(`${spec.key.padEnd(keyWidth)} = ${shown}  # ${source}${live}`);
  }
  return `${lines.join('\n')}\n`;
}
