/**
 * The session process's entry when it runs from the compiled modules (dist/); the build also
 * makes a bundled file and a startup snapshot of the same code (scripts/build-session.ts).
 */
import { startSessionProcess } from './session-process.js';

startSessionProcess(process.argv[2]);
