/**
 * What one session process costs: from its start to its "ready" message, and the CPU it used
 * on the way, against a bare Node child that does nothing but say "ready" (the floor any Node
 * process pays), started in turns so that both see the same machine; and its memory when idle,
 * among a server's spare processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServerOptions } from '../../mail-server/server.js';
import { findSessionImage, type SessionImageKind } from '../../mail-server/session-image.js';
import type { WorkerConfig } from '../../mail-server/worker-protocol.js';
import { MAX_FRAME_BYTES } from '../../protocol/framing.js';
import { childPids, cpuMs, proportionalMiB, spawnMailServer } from '../lib/server-process.js';
import { percentile } from './stats.js';

export interface SessionProcessFigures {
  image: SessionImageKind;
  start_to_ready_p50_ms: number;
  bare_node_start_to_ready_p50_ms: number;
  start_ratio_to_bare_node: number;
  cpu_per_start_p50_ms: number;
  bare_node_cpu_per_start_p50_ms: number;
  idle_processes: number;
  idle_pss_p50_mib: number;
  idle_private_p50_mib: number;
}

const ROUNDS = 20;
const IDLE_PROCESSES = 20;
const BARE_CHILD = "process.on('message', () => process.exit(0)); process.send({ type: 'ready' });";

/** Private memory of a process (pages no other process shares), in MiB. */
function privateMiB(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  return Math.round(((kb('Private_Clean') + kb('Private_Dirty')) / 1024) * 10) / 10;
}

async function timeStart(start: () => ChildProcess): Promise<{ readyMs: number; cpuMs: number }> {
  const begun = performance.now();
  const child = start();
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'ready') resolve();
    });
    child.once('exit', () => {
      reject(new Error('the process ended before it was ready'));
    });
  });
  const readyMs = performance.now() - begun;
  const cpu = cpuMs(child.pid ?? 0) ?? NaN;
  child.send({ type: 'exit' });
  await once(child, 'exit');
  return { readyMs, cpuMs: cpu };
}

/** `dir` is a key setup (writeKeySetup): the session processes load its server home. */
export async function benchSessionProcess(
  dir: string,
  image: SessionImageKind = 'bundle',
): Promise<SessionProcessFigures> {
  const home = join(dir, 'server');
  const session = findSessionImage(image);
  const config = JSON.stringify({
    home,
    channel: 'classic',
    store: 'files',
    idleTimeoutMs: 60_000,
    maxFrameBytes: MAX_FRAME_BYTES,
    maxInboxBytes: defaultServerOptions.inboxQuotaBytes,
    logLevel: 'warn',
  } satisfies WorkerConfig);
  const bareScript = join(tmpdir(), `sealed-mail-bare-${process.pid}.cjs`);
  writeFileSync(bareScript, BARE_CHILD);
  const starts: { readyMs: number; cpuMs: number }[] = [];
  const bare: { readyMs: number; cpuMs: number }[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      starts.push(await timeStart(() => session.start(config)));
      bare.push(
        await timeStart(() =>
          fork(bareScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
        ),
      );
    }
  } finally {
    rmSync(bareScript, { force: true });
  }

  const server = await spawnMailServer({
    home,
    args: [
      '--spare',
      String(IDLE_PROCESSES),
      '--max-spare',
      String(IDLE_PROCESSES),
      '--session-image',
      image,
    ],
  });
  let children: number[] = [];
  try {
    for (let waited = 0; children.length < IDLE_PROCESSES && waited < 100; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      children = childPids(server.child.pid ?? 0);
    }
    // Let them settle as idle processes do (lazy compilation, the first collections).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pss = children.map((pid) => proportionalMiB(pid) ?? NaN);
    const own = children.map(privateMiB);
    const p50 = (values: number[]): number => percentile(values, 50);
    const readyP50 = p50(starts.map((start) => start.readyMs));
    const bareP50 = p50(bare.map((start) => start.readyMs));
    return {
      image: session.kind,
      start_to_ready_p50_ms: readyP50,
      bare_node_start_to_ready_p50_ms: bareP50,
      start_ratio_to_bare_node: Math.round((readyP50 / bareP50) * 100) / 100,
      cpu_per_start_p50_ms: p50(starts.map((start) => start.cpuMs)),
      bare_node_cpu_per_start_p50_ms: p50(bare.map((start) => start.cpuMs)),
      idle_processes: children.length,
      idle_pss_p50_mib: p50(pss),
      idle_private_p50_mib: p50(own),
    };
  } finally {
    await server.stop();
  }
}
