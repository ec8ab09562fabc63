/** `galactic plugin ls | build | run`: the proving plugins on this machine. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument } from '../errors.js';
import { DockerDriver, PluginHost, ProcessDriver, buildPluginImage, listRecipes, processCommand, recipe, type PluginInput } from '../plugins/index.js';
import { integerOption, reportErrors } from './options.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const print = (json: boolean | undefined, value: unknown, text: string) => process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n');

function parseInputs(specs: string[]): PluginInput[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw invalidArgument('NAME=PATH', '--input', spec);
    return { name: spec.slice(0, eq), path: resolve(spec.slice(eq + 1)) };
  });
}

export function registerPlugin(program: Command): void {
  const plugin = program.command('plugin').description('list, build and run proving plugins locally');

  plugin
    .command('ls')
    .description('list the reference plugins shipped with this package')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      reportErrors('plugin ls', () => {
        const recipes = listRecipes();
        print(opts.json, recipes, recipes.map((r) => `${r.name.padEnd(12)} ${r.version.padEnd(8)} ${r.entry}`).join('\n') || 'no plugins');
      }),
    );

  plugin
    .command('build')
    .description('build a plugin image offline (a docker-load tarball); prints its pinned reference and sha256')
    .argument('<name>', 'the plugin')
    .option('--out <dir>', 'where to write the tarball', 'images')
    .option('--load', 'also load it into the local Docker daemon')
    .option('--json', 'print JSON')
    .action((name: string, opts: { out: string; load?: boolean; json?: boolean }) =>
      reportErrors('plugin build', async () => {
        const built = await buildPluginImage(recipe(name), resolve(opts.out));
        if (opts.load) await new DockerDriver({ agentId: 'cli' }).loadTarball(built.tarball, built.sha256);
        print(opts.json, built, `${built.ref}\n  tarball ${built.tarball}\n  sha256  ${built.sha256}${opts.load ? '\n  loaded into Docker' : ''}`);
      }),
    );

  plugin
    .command('run')
    .description('run one task through a plugin, e.g. plugin run groth16 --input zkey=c.zkey --input witness=w.wtns')
    .argument('<name>', 'the plugin')
    .option('--input <name=path>', 'an input file (repeatable)', collect, [])
    .option('--params <json>', 'task params, a JSON object', '{}')
    .option('--task-type <type>', 'the op kind', 'zkp-singleton')
    .option('--mode <mode>', 'efficient or performance', 'efficient')
    .option('--driver <driver>', 'process or docker', 'process')
    .option('--image <ref>', 'docker: the pinned image (default: build it now)')
    .option('--timeout-ms <ms>', 'deadline for the task', integerOption('--timeout-ms', 1), 600_000)
    .option('--out <dir>', 'where to write the outputs', '.')
    .option('--json', 'print the outcome as JSON')
    .action((name: string, opts: { input: string[]; params: string; taskType: string; mode: string; driver: string; image?: string; timeoutMs: number; out: string; json?: boolean }) =>
      reportErrors('plugin run', async () => {
        const r = recipe(name);
        if (opts.mode !== 'efficient' && opts.mode !== 'performance') throw invalidArgument('efficient or performance', '--mode', opts.mode);
        let params: Record<string, unknown>;
        try {
          params = JSON.parse(opts.params);
        } catch {
          throw invalidArgument('a JSON object', '--params', opts.params);
        }
        const inputs = parseInputs(opts.input);
        const baseDir = join(tmpdir(), `galactic-run-${process.pid}`);
        const host = new PluginHost({ baseDir });
        if (opts.driver === 'process') host.register({ name, driver: new ProcessDriver(), spec: { command: processCommand(r) } });
        else if (opts.driver === 'docker') {
          const driver = new DockerDriver({ agentId: `cli-${process.pid}` });
          let image = opts.image;
          if (!image) {
            const built = await buildPluginImage(r, join(baseDir, 'images'));
            await driver.loadTarball(built.tarball, built.sha256);
            image = built.ref;
          }
          host.register({ name, driver, spec: { image } });
        } else throw invalidArgument('process or docker', '--driver', opts.driver);
        try {
          const outcome = await host.run({ plugin: name, taskId: `cli-${Date.now()}`, taskType: opts.taskType, mode: opts.mode, inputs, params, deadlineMs: Date.now() + opts.timeoutMs });
          if (outcome.status !== 'done') {
            print(opts.json, outcome, `${outcome.status}: ${outcome.reason} (${outcome.code})`);
            process.exitCode = 1;
            return;
          }
          mkdirSync(opts.out, { recursive: true });
          const written = outcome.outputs.map((o) => {
            const file = join(resolve(opts.out), o.name.replace(/[^A-Za-z0-9_.-]/g, '_'));
            writeFileSync(file, o.data);
            return { name: o.name, file, size: o.data.length };
          });
          print(opts.json, { status: 'done', wallMs: outcome.wallMs, metrics: outcome.metrics, outputs: written }, [`done in ${outcome.wallMs} ms`, ...written.map((w) => `  ${w.name} → ${w.file} (${w.size} bytes)`)].join('\n'));
        } finally {
          await host.close();
        }
      }),
    );
}

