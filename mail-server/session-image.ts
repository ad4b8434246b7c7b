/**
 * How a session process is started. The build (scripts/build-session.ts) makes, beside the
 * compiled modules, one bundled file of the session code:
 *
 * - `bundle`: `node session.cjs CONFIG`, one file (the default): no module resolution, no ESM
 *   loader, nothing a session does not use.
 * - `modules`: `node worker.js CONFIG`, the compiled modules as they are.
 *
 * When the bundle is missing (a build without it), the modules are used.
 *
 * Session processes run V8 without its compilers (`--jitless`) unless asked otherwise: they
 * parse what strangers send, and the optimizing compilers are where most V8 exploits start;
 * measured on this project's machine, 200 concurrent sessions also did more operations per
 * second that way (fewer pages and less code per process), at about a third more time for a
 * 1,000,000-character email (docs/REPORT.md).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SESSION_IMAGES = ['bundle', 'modules'] as const;
export const SESSION_JIT = ['off', 'on'] as const;
export type SessionJit = (typeof SESSION_JIT)[number];
export type SessionImageKind = (typeof SESSION_IMAGES)[number];

/** The file names, next to this module in dist/mail-server/. */
export const sessionImageFiles = {
  bundle: 'session.cjs',
  modules: 'worker.js',
} as const satisfies Record<SessionImageKind, string>;

export interface SessionImage {
  kind: SessionImageKind;
  file: string;
  /**
   * Starts a session process with its configuration (JSON) and an IPC channel; `env` is added
   * to this process's environment for it (a secret that must not be on its command line).
   */
  start: (config: string, env?: Readonly<Record<string, string>>) => ChildProcess;
}

/**
 * Without the compilers there is no WebAssembly either: Node's fetch (undici, which node-postgres
 * wakes by looking at the global) needs it and would end the process, so it is not exposed
 * where this Node can be told so; `--no-expose-wasm` says outright what `--jitless` implies,
 * which spares every session process a warning on stderr.
 */
const WITHOUT_COMPILERS = [
  '--jitless',
  '--no-expose-wasm',
  ...(process.allowedNodeEnvironmentFlags.has('--no-experimental-fetch')
    ? ['--no-experimental-fetch']
    : []),
];

/** Node's options for a session process: this process's, and no compilers unless `jit` is on. */
export const sessionExecArgv = (jit: SessionJit): string[] =>
  jit === 'on' ? process.execArgv : [...process.execArgv, ...WITHOUT_COMPILERS];

/** The wanted image when its file exists, else the compiled modules. */
export function findSessionImage(
  wanted: SessionImageKind,
  jit: SessionJit = 'off',
  folder = fileURLToPath(new URL('.', import.meta.url)),
): SessionImage {
  const execArgv = sessionExecArgv(jit);
  const wantedFile = `${folder}/${sessionImageFiles[wanted]}`;
  const [kind, file] = existsSync(wantedFile)
    ? [wanted, wantedFile]
    : (['modules', `${folder}/${sessionImageFiles.modules}`] as const);
  return {
    kind,
    file,
    start: (config, env) =>
      fork(file, [config], {
        execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: env ? { ...process.env, ...env } : process.env,
      }),
  };
}
