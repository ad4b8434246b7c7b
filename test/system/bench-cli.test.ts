/**
 * The bench's command line and verdicts: `npm run bench -- --help` prints the usage without
 * building, and each target ends in one line, met or not met with its figure.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TARGETS, verdictLines } from '../../scripts/bench/verdicts.js';
import { distPath, repoRoot, Spawned } from '../helpers/processes.js';

describe('npm run bench', () => {
  it('--help prints the usage and builds nothing', async () => {
    const built = statSync(distPath('scripts/bench.js')).mtimeMs;
    const help = new Spawned('npm', ['run', '--silent', 'bench', '--', '--help'], {
      cwd: repoRoot,
    });
    const { code } = await help.exited;
    expect(code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run bench -- [options]');
    expect(help.stdout).toContain('--no-build');
    expect(help.stderrLines.join('\n')).not.toContain('building');
    expect(statSync(distPath('scripts/bench.js')).mtimeMs).toBe(built);
  });

  it('ends with one verdict line per target: met, NOT MET with the figure, or why none', () => {
    const figures = {
      gateway: { signin_to_first_inbox_p50_ms: 87.4, read_gateway_overhead_p50_ms: 12.5 },
    };
    const { lines, allMet } = verdictLines(figures, (part) => part === 'gateway');
    expect(lines).toHaveLength(TARGETS.length);
    expect(lines).toEqual([
      'target gateway: sign-in to the first inbox listing, p50 <= 150 ms: met (87.4 ms)',
      "target gateway: what the gateway adds to a read's round trip, p50 <= 10 ms: NOT MET (12.5 ms)",
      'target push: new mail in the browser, p99 <= 1000 ms: not measured (part push not run)',
      expect.stringMatching(/^target push: server CPU .*: not measured \(part push not run\)$/),
    ]);
    expect(allMet).toBe(false);

    const push = {
      new_mail_to_browser_p99_ms: 40,
      server_cpu_ms_100_idle_sessions_60s_pushed: 130,
      server_cpu_ms_100_idle_sessions_60s_not_watching: 120,
    };
    const pushed = verdictLines({ push }, (part) => part === 'push');
    expect(pushed.lines[2]).toMatch(/: met \(40 ms\)$/);
    expect(pushed.lines[3]).toMatch(/: met \(10 ms\)$/);
    expect(pushed.allMet).toBe(true);
    // A part that ran but did not report its figure is no verdict, and not a pass.
    const missing = verdictLines({ push: {} }, (part) => part === 'push');
    expect(missing.lines[2]).toMatch(/no figure/);
    expect(missing.allMet).toBe(false);
  });
});
