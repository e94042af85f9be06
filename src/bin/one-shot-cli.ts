import { config as loadDotenv } from 'dotenv';
import { fail, newProgram } from './cli-program.js';
import { registerCopyCommand } from './copy-command.js';
import { registerRunCommand } from './run-command.js';

/**
 * `synqx copy` and `synqx run` alone: the entry of the one-shot bundle (dist/bundle/, built by
 * bin/build-bundle.mjs), which bin/synqx.js starts for those two commands. One file with Arrow and
 * the engine inside loads in about half the time of the hundreds of modules it is made of, and a
 * one-shot command pays its start-up on every table it moves.
 */
loadDotenv({ quiet: true });
const program = newProgram();
registerCopyCommand(program);
registerRunCommand(program);
program.parseAsync(process.argv).catch(fail);
