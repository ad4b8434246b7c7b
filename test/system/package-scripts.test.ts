/**
 * Every npm script that runs a built program names a file the build makes: a script left
 * pointing at a moved module would work only where an old dist/ still holds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/processes.js';

const scripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

describe('npm scripts', () => {
  it('run only programs the build writes, each from its source', () => {
    const programs = Object.entries(scripts).flatMap(([name, command]) =>
      [...command.matchAll(/node (dist\/\S+)\.js/g)].map((match) => ({
        name,
        program: match[1] ?? '',
      })),
    );
    expect(programs.length).toBeGreaterThan(8);
    const missing = programs.filter(
      ({ program }) =>
        !existsSync(join(repoRoot, `${program}.js`)) ||
        !existsSync(join(repoRoot, `${program.replace(/^dist\//, '')}.ts`)),
    );
    expect(missing).toEqual([]);
  });
});
