import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAdminAddress } from '../../mail-server/observe/admin-http.js';
import { poolReadiness } from '../../mail-server/observe/server-observer.js';
import { formatConfig, readConfigFile, resolveOptions } from '../../common/config-file.js';
import {
  serverOptionTable,
  type ServerOptionValues,
} from '../../mail-server/config/option-table.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-mail-config-'));
  dirs.push(dir);
  const file = join(dir, 'server.json');
  writeFileSync(file, text);
  return file;
}

describe('--admin-listen', () => {
  it('takes a port (on 127.0.0.1), HOST:PORT or [IPv6]:PORT, and nothing else', () => {
    expect(parseAdminAddress('9130')).toEqual({ host: '127.0.0.1', port: 9130 });
    expect(parseAdminAddress('0.0.0.0:9130')).toEqual({ host: '0.0.0.0', port: 9130 });
    expect(parseAdminAddress('[::1]:9130')).toEqual({ host: '::1', port: 9130 });
    for (const bad of ['', 'x', '9130:', ':9130', '127.0.0.1:65536', '::1:9130', '1.2.3.4:9x'])
      expect(() => parseAdminAddress(bad), bad).toThrow(/expected PORT or HOST:PORT/);
  });
});

describe('the configuration file', () => {
  const table = serverOptionTable('classic');

  it('resolves flag over file over default, and says where each value came from', async () => {
    const fromFile = await readConfigFile(
      configFile('{"max-sessions": 7, "spare": 2, "session-jit": "on"}'),
      table,
    );
    expect(fromFile).toEqual({ maxSessions: 7, spare: 2, sessionJit: 'on' });
    const resolved = resolveOptions<ServerOptionValues>(
      table,
      { spare: 3 },
      new Set(['spare']),
      fromFile,
    );
    expect(resolved.values).toMatchObject({
      maxSessions: 7,
      spare: 3,
      sessionJit: 'on',
      maxUse: 100,
    });
    expect(resolved.sources).toMatchObject({
      maxSessions: 'file',
      spare: 'flag',
      maxUse: 'default',
      home: 'unset',
    });
    expect(formatConfig(table, resolved, 'f.json')).toMatch(/^spare += 3 +# flag$/m);
  });

  it('refuses wrong types, values out of range, unknown keys and what is not an object', async () => {
    const refusal = (text: string): Promise<unknown> => readConfigFile(configFile(text), table);
    await expect(refusal('{"max-sessions": "7"}')).rejects.toThrow(/"max-sessions": .*number/);
    await expect(refusal('{"max-sessions": 2.5}')).rejects.toThrow(/"max-sessions"/);
    await expect(refusal('{"port": 70000}')).rejects.toThrow(/"port": Too big/);
    await expect(refusal('{"session-jit": "maybe"}')).rejects.toThrow(/"session-jit"/);
    await expect(refusal('{"admin-listen": "nowhere"}')).rejects.toThrow(/expected PORT/);
    await expect(refusal('{"maxSessions": 7}')).rejects.toThrow(/unknown option "maxSessions"/);
    await expect(refusal('[1]')).rejects.toThrow(/the file: .*object/);
    await expect(refusal(' '.repeat(1024 * 1024 + 1))).rejects.toThrow(/larger than 1024 KiB/);
  });
});

describe('readiness of the session pool', () => {
  const limits = { spare: 2, maxSessions: 4, clientsPerProcess: 1 };
  it('is ready with an idle process, not while all are starting or every session is in use', () => {
    expect(poolReadiness({ idle: 1, busy: 1, starting: 0, sessions: 1 }, limits).ready).toBe(true);
    expect(poolReadiness({ idle: 0, busy: 0, starting: 2, sessions: 0 }, limits)).toEqual({
      ready: false,
      reason: 'no session process is ready yet (2 starting)',
    });
    expect(poolReadiness({ idle: 0, busy: 4, starting: 0, sessions: 4 }, limits).reason).toBe(
      'all 4 sessions are in use (--max-sessions)',
    );
    // Several clients per process: a busy process with room counts.
    expect(
      poolReadiness(
        { idle: 0, busy: 1, starting: 0, sessions: 1 },
        { ...limits, clientsPerProcess: 3 },
      ).ready,
    ).toBe(true);
    // No spares wanted: a process is started when a client comes.
    expect(
      poolReadiness({ idle: 0, busy: 0, starting: 0, sessions: 0 }, { ...limits, spare: 0 }).ready,
    ).toBe(true);
  });
});
