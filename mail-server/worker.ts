/**
 * The session process's entry, from the compiled modules (dist/) or from the one bundled file
 * the build makes of them (scripts/build-session.ts).
 */
import { startSessionProcess } from './worker-child.js';

startSessionProcess(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(
    `session process: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
