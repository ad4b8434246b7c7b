import { Spawned, distPath } from './processes.js';

export interface RunningServer {
  process: Spawned;
  port: number;
  /** The specification's lines the server printed so far. */
  lines: () => string[];
  stop: () => Promise<void>;
}

/** Starts the real mail server (dist/) on an ephemeral loopback port. */
export async function startMailServer(
  home: string,
  extraArgs: string[] = [],
  script = 'mail-server/main.js',
): Promise<RunningServer> {
  const server = new Spawned('node', [
    distPath(script),
    '--home',
    home,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    // No spare session process unless the test sizes the pool: each is a Node start (about
    // 0.12 s of CPU), and a test run's servers (about 190) would each end with one that serves
    // no one. A login then waits for its process to start (the pool's own tests keep spares).
    ...(extraArgs.some((arg) => /^--(spare|max-spare|config)\b/.test(arg)) ? [] : ['--spare', '0']),
    ...extraArgs,
  ]);
  const port = (await server.waitForRecord('listening', {}, { timeoutMs: 20_000 })).port as number;
  await server.waitForLine(
    (line) => line === 'The server is ready to accept connections',
    5000,
    'stdout',
  );
  return {
    process: server,
    port,
    lines: () => server.stdoutLines.slice(),
    stop: () => server.stop(),
  };
}
