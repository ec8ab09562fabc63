/** `galactic agent` (the service), `galactic agent install-service`, and `galactic status`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Agent, EXIT_CODES, configFromEnv, parseAgentConfig, queryStatus, serveStatus } from '../agent/index.js';
import { readConfigFile } from '../oracle/index.js';
import { GalacticError } from '../errors.js';
import { integerOption, reportErrors } from './options.js';

interface AgentFlags {
  oracle?: string;
  name?: string;
  dataDir?: string;
  config?: string;
  slots?: number;
  driver?: string;
  taskTypes?: string;
  benchmark?: string;
  prewarm?: boolean;
  port?: number;
  metricsPort?: number;
  logLevel?: string;
}

function agentConfig(flags: AgentFlags) {
  const { config: file, taskTypes, port, ...rest } = flags;
  return parseAgentConfig(
    [
      file ? readConfigFile(file) : {},
      configFromEnv(),
      { ...rest, taskTypes: taskTypes?.split(',').filter(Boolean), embeddedOraclePort: port },
    ],
    file ?? 'agent config',
  );
}

export function registerAgent(program: Command): void {
  const agent = program
    .command('agent')
    .description('run the prover agent; with no --oracle it starts an embedded local oracle too')
    .option('--oracle <url>', 'the oracle to join (default $GALACTIC_ORACLE; none: embedded)')
    .option('--name <name>', 'prover name (default: from the hostname)')
    .option('--data-dir <dir>', 'identity, benchmark, outbox and plugin work (default $GALACTIC_HOME or ~/.galactic)')
    .option('--config <file>', 'JSON config file; environment and flags override it (docs/operations.md)')
    .option('--slots <n>', 'tasks run at once', integerOption('--slots', 1, 64))
    .option('--driver <driver>', 'auto, process or docker')
    .option('--task-types <list>', 'comma-separated op kinds to accept (default: all the plugins prove)')
    .option('--benchmark <mode>', 'quick, full or skip')
    .option('--no-prewarm', 'do not start performance-mode plugins at start-up')
    .option('--port <n>', 'embedded oracle port (default 7700)', integerOption('--port', 0, 65535))
    .option('--metrics-port <n>', 'also serve /metrics and /status on 127.0.0.1:<n>', integerOption('--metrics-port', 0, 65535))
    .option('--log-level <level>', 'pino level on stderr (default info)')
    .action((flags: AgentFlags) =>
      reportErrors('agent', async () => {
        const config = agentConfig(flags);
        const a = new Agent(config);
        let signals = 0;
        const onSignal = () => {
          signals++;
          if (signals === 1) a.drain();
          else if (signals === 2) void a.cancelAndStop();
          else process.exit(EXIT_CODES.failure);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        // First, before the agent touches its journal: the status socket also keeps a second agent off this data directory.
        const closeStatus = await serveStatus(a, config.dataDir, config.metricsPort);
        a.once('stopped', (code) => void closeStatus().then(() => process.exit(code)));
        try {
          await a.start();
        } catch (err) {
          if (err instanceof GalacticError) {
            process.stderr.write(`galactic agent: ${err.message} (${err.code})\n`);
            return;
          }
          throw err;
        }
        process.stdout.write(
          `galactic agent ${config.name} (${config.dataDir}): ` +
            (a.embeddedOracle
              ? `embedded oracle at ${a.oracleUrl} — API ${a.oracleUrl}/v1, dashboard ${a.oracleUrl}/ — submit with: galactic submit GRAPH.json --oracle ${a.oracleUrl}\n`
              : `joining ${a.oracleUrl}\n`),
        );
      }),
    );

  agent
    .command('install-service')
    .description('write a systemd unit for the agent and print how to enable it')
    .option('--system', 'a system unit (/etc/systemd/system) instead of a user unit')
    .option('--config <file>', 'the config file the service runs with')
    .option('--dry-run', 'print the unit instead of writing it')
    .option('--json', 'print JSON')
    .action((opts: { system?: boolean; config?: string; dryRun?: boolean; json?: boolean }) =>
      reportErrors('agent install-service', () => {
        const bin = fileURLToPath(new URL('./main.js', import.meta.url));
        const file = opts.system ? '/etc/systemd/system/galactic-agent.service' : join(homedir(), '.config/systemd/user/galactic-agent.service');
        const exec = [process.execPath, bin, 'agent', ...(opts.config ? ['--config', resolve(opts.config)] : [])].join(' ');
        const unit = [
          '[Unit]',
          'Description=Galactic prover agent',
          'After=network-online.target docker.service',
          'Wants=network-online.target',
          '',
          '[Service]',
          `ExecStart=${exec}`,
          // SIGTERM drains: give running proofs time to finish before the second signal.
          'KillSignal=SIGTERM',
          'TimeoutStopSec=600',
          'Restart=on-failure',
          'RestartSec=5',
          // Refusals retrying cannot fix (config, banned, bad key, protocol, name taken, identity in use elsewhere): stay down.
          `RestartPreventExitStatus=${[EXIT_CODES.config, EXIT_CODES.banned, EXIT_CODES.authFailed, EXIT_CODES.protocolUnsupported, EXIT_CODES.nameTaken, EXIT_CODES.replaced].join(' ')}`,
          'NoNewPrivileges=true',
          ...(process.env.GALACTIC_HOME ? [`Environment=GALACTIC_HOME=${process.env.GALACTIC_HOME}`] : []),
          '',
          '[Install]',
          `WantedBy=${opts.system ? 'multi-user.target' : 'default.target'}`,
          '',
        ].join('\n');
        const enable = opts.system ? 'systemctl daemon-reload && systemctl enable --now galactic-agent' : 'systemctl --user daemon-reload && systemctl --user enable --now galactic-agent';
        if (!opts.dryRun) {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, unit, { mode: 0o644 });
        }
        if (opts.json) process.stdout.write(JSON.stringify({ file, written: !opts.dryRun, unit, enable }, null, 2) + '\n');
        else process.stdout.write(opts.dryRun ? unit : `wrote ${file}\nenable it with: ${enable}\n`);
      }),
    );

  program
    .command('status')
    .description("show the local agent's state, link, running tasks, power and counters")
    .option('--data-dir <dir>', 'the agent data directory (default $GALACTIC_HOME or ~/.galactic)')
    .option('--json', 'print JSON')
    .action((opts: { dataDir?: string; json?: boolean }) =>
      reportErrors('status', async () => {
        const dir = opts.dataDir ?? process.env.GALACTIC_HOME ?? join(homedir(), '.galactic');
        let body: string;
        try {
          body = await queryStatus(dir);
        } catch (err) {
          throw new GalacticError('GAL_ERR_NOT_FOUND', `Expected a running agent with its status socket in ${dir} but ${(err as Error).message}`);
        }
        const s = JSON.parse(body);
        if (opts.json) return void process.stdout.write(JSON.stringify(s, null, 2) + '\n');
        // Before the probe and benchmark finish there is no link, power or plugin to show yet.
        if (s.state === 'starting') return void process.stdout.write(`agent ${s.name}: starting (probing the machine and measuring its power)\n`);
        const lines = [
          `agent ${s.name} (${s.proverId ?? 'not yet authenticated'}): ${s.state}`,
          `oracle ${s.oracle}${s.embeddedOracle ? ' (embedded)' : ''}: link ${s.link.up ? 'up' : 'down'}, ${s.link.reconnects} reconnects`,
          `power ${(s.power.gasPerSecond / 1e9).toFixed(2)} Ggas/s; plugins ${s.taskTypes.map((t: { plugin: string; ops: string[] }) => `${t.plugin} (${t.ops.join(', ')})`).join('; ') || 'none'}`,
          `tasks ${s.running.length}/${s.slots} running, ${s.outbox} awaiting acknowledgement`,
          ...s.running.map((t: { taskId: string; plugin: string; op: string; progress: number }) => `  ${t.taskId} ${t.plugin}/${t.op} ${(t.progress * 100).toFixed(0)}%`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );
}
