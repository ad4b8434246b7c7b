/**
 * How a session process is started. The build (scripts/build-session.ts) makes, beside the
 * compiled modules, one bundled file of the session code:
 *
 * - `bundle`: `node session.cjs CONFIG`, one file (the default): no module resolution, no ESM
 *   loader, nothing a session does not use.
 * - `modules`: `node worker.js CONFIG`, the compiled modules as they are.
 *
 * When the bundle is missing (a build without it), the modules are used.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SESSION_IMAGES = ['bundle', 'modules'] as const;
export type SessionImageKind = (typeof SESSION_IMAGES)[number];

/** The file names, next to this module in dist/mail-server/. */
export const sessionImageFiles = {
  bundle: 'session.cjs',
  modules: 'worker.js',
} as const satisfies Record<SessionImageKind, string>;

export interface SessionImage {
  kind: SessionImageKind;
  file: string;
  /** Starts a session process with its configuration (JSON) and an IPC channel. */
  start: (config: string) => ChildProcess;
}

/** The wanted image when its file exists, else the compiled modules. */
export function findSessionImage(
  wanted: SessionImageKind,
  folder = fileURLToPath(new URL('.', import.meta.url)),
): SessionImage {
  const wantedFile = `${folder}/${sessionImageFiles[wanted]}`;
  const [kind, file] = existsSync(wantedFile)
    ? [wanted, wantedFile]
    : (['modules', `${folder}/${sessionImageFiles.modules}`] as const);
  return {
    kind,
    file,
    start: (config) => fork(file, [config], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  };
}
