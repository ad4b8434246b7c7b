/**
 * The bench says what it is doing while it runs (on stderr, so that stdout stays the figures
 * and the verdicts), and builds before it measures, then runs the freshly built bench.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const say = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

export const progress = {
  /** Runs one part, saying when it starts and how long it took. */
  async part<T>(name: string, work: () => Promise<T>): Promise<T> {
    say(`${name}...`);
    const started = Date.now();
    const result = await work();
    say(`${name} done in ${Math.round((Date.now() - started) / 100) / 10} s`);
    return result;
  },
};

/**
 * `npm run build`, then this bench again from the new dist/ with --no-build: the figures are
 * of the sources as they are, not of an older build. Returns the exit code to leave with.
 */
export function buildThenRunBuilt(argv: readonly string[]): number {
  say('building (npm run build)...');
  const built = spawnSync('npm', ['run', 'build', '--silent'], {
    // The build's output goes to stderr: stdout is the figures and verdicts.
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0) {
    say('the build failed (see above); nothing was measured');
    return 1;
  }
  const bench = fileURLToPath(new URL('../bench.js', import.meta.url));
  const run = spawnSync(process.execPath, [bench, '--no-build', ...argv], { stdio: 'inherit' });
  return run.status ?? 1;
}
