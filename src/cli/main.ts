#!/usr/bin/env node
/** The `galactic` command line; each command lives in its own module. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAgent } from './agent.js';
import { registerBench } from './bench.js';
import { registerGas } from './gas.js';
import { registerOracle } from './oracle.js';
import { registerPlugin } from './plugin.js';
import { registerProbe } from './probe.js';
import { registerSubmit } from './submit.js';
import { registerToken } from './token.js';

export function buildProgram(): Command {
  const program = new Command('galactic')
    .description('Prover agent, oracle and native BN254 kernels for a zero-knowledge proof network')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError();
  registerProbe(program);
  registerGas(program);
  registerBench(program);
  registerOracle(program);
  registerSubmit(program);
  registerToken(program);
  registerPlugin(program);
  registerAgent(program);
  // Usage errors (unknown option, missing value) exit 2 like every other bad input.
  for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)])
    command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  return program;
}

const program = buildProgram();
if (process.argv.length <= 2) program.outputHelp();
else await program.parseAsync(process.argv);
