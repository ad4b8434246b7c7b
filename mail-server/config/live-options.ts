/**
 * A SIGHUP rereads the --config file: options marked `reload: 'live'` in the table take their
 * new value at once (--log-level, --login-timeout); a change to any other is logged as waiting
 * for the next start. A file that no longer reads changes nothing, and says why in one line.
 */
import type { ChannelKind } from '../../protocol/channel-kinds.js';
import type { Logger } from '../log.js';
import { readConfigFile, resolveOptions, type Resolved } from '../../common/config-file.js';
import { serverOptionTable, type ServerOptionValues } from './option-table.js';

/** What a reload may change in a running server. */
export interface LiveOptions {
  logLevel: string;
  loginTimeoutMs: number;
}

export interface LiveChanges {
  resolved: Resolved<ServerOptionValues>;
  live: LiveOptions;
  /** The new level, when it changed. */
  logLevel?: string;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function liveChanges(
  kind: ChannelKind,
  line: {
    configPath: string | undefined;
    flags: Partial<ServerOptionValues>;
    given: ReadonlySet<string>;
  },
  current: Resolved<ServerOptionValues>,
  log: Logger,
): Promise<LiveChanges | undefined> {
  if (line.configPath === undefined) return undefined;
  const table = serverOptionTable(kind);
  let fromFile: Record<string, unknown>;
  try {
    fromFile = await readConfigFile(line.configPath, table);
  } catch (error) {
    log.error(
      { err: (error as Error).message },
      'configuration not reloaded; the one before it stays',
    );
    return undefined;
  }
  const next = resolveOptions<ServerOptionValues>(table, line.flags, line.given, fromFile);
  const waiting: string[] = [];
  const applied: string[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const key = name as keyof ServerOptionValues;
    if (same(current.values[key], next.values[key])) continue;
    if (spec.reload === 'live') applied.push(spec.key);
    else waiting.push(spec.key);
  }
  // What waits for a restart keeps its running value, so that a later reload compares with it.
  for (const name of Object.keys(table)) {
    const key = name as keyof ServerOptionValues;
    const spec = table[key];
    if (spec.reload !== 'live') {
      (next.values as Record<string, unknown>)[key] = current.values[key];
      next.sources[key] = current.sources[key];
    }
  }
  if (waiting.length > 0)
    log.warn(
      { options: waiting },
      `configuration changed where only a restart applies it: ${waiting.join(', ')}`,
    );
  if (applied.length > 0) log.info({ options: applied }, 'configuration reloaded');
  const logLevelChanged = current.values.logLevel !== next.values.logLevel;
  return {
    resolved: next,
    live: { logLevel: next.values.logLevel, loginTimeoutMs: next.values.loginTimeout * 1000 },
    ...(logLevelChanged ? { logLevel: next.values.logLevel } : {}),
  };
}
