/** `galactic oracle`: the scheduler node (HTTP API + agent link), state in SQLite. */
import type { Command } from 'commander';
import { parseOracleConfig, readConfigFile, startOracle } from '../oracle/index.js';
import { integerOption, numberOption, reportErrors } from './options.js';

interface OracleFlags {
  host?: string;
  port?: number;
  dataDir?: string;
  config?: string;
  heartbeatMs?: number;
  exclusionWindowMs?: number;
  redundancy?: number;
  penaltyThreshold?: number;
  pGas?: number;
  retentionDays?: number;
  open?: boolean;
  logLevel: string;
  json?: boolean;
}

export function registerOracle(program: Command): void {
  program
    .command('oracle')
    .description('run the scheduler node: requester HTTP API, agent link (/v1/link) and metrics')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--port <n>', 'port to listen on (default 7700; 0 picks a free one)', integerOption('--port', 0, 65535))
    .option('--data-dir <dir>', 'state directory: SQLite database, blobs, operator token (default $GALACTIC_HOME/oracle)')
    .option('--config <file>', 'JSON config file; flags override it (see docs/operations.md)')
    .option('--heartbeat-ms <ms>', 'heartbeat interval agents are told; 3 missed = offline', integerOption('--heartbeat-ms', 50))
    .option('--exclusion-window-ms <ms>', 'W: exclusion after a first failure, doubled for each further one', integerOption('--exclusion-window-ms'))
    .option('--redundancy <k>', 'provers per op in performance mode or above the penalty threshold', integerOption('--redundancy', 1, 8))
    .option('--penalty-threshold <amount>', 'graphs with a penalty at or above this run redundantly', numberOption('--penalty-threshold'))
    .option('--p-gas <price>', 'price of one gas: P = P_gas × Gas', numberOption('--p-gas'))
    .option('--retention-days <days>', 'delete ended graphs and unreferenced blobs after this many days; 0 keeps everything (default 30)', numberOption('--retention-days'))
    .option('--open', 'no requester tokens (allowed on a loopback address only)')
    .option('--log-level <level>', 'pino log level on stderr: silent, error, warn, info, debug', 'info')
    .option('--json', 'print the start-up line as JSON')
    .action((flags: OracleFlags) =>
      reportErrors('oracle', async () => {
        const { config: file, logLevel, json, ...overrides } = flags;
        const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
        const config = parseOracleConfig({ ...(file ? readConfigFile(file) : {}), ...defined }, file ?? 'oracle config');
        const oracle = await startOracle({ ...config, logLevel });
        const tokens = config.open ? null : oracle.tokens.operatorTokenPath;
        const line = json
          ? JSON.stringify({ url: oracle.url, link: oracle.linkUrl, oracleId: oracle.id, dataDir: config.dataDir, open: config.open, operatorTokenFile: tokens })
          : `galactic oracle ${oracle.id} serving ${oracle.url} (agents: ${oracle.linkUrl}); ` +
            (tokens ? `operator token in ${tokens}` : 'open: no tokens, loopback only');
        process.stdout.write(line + '\n');
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(1);
          stopping = true;
          void oracle.close().then(() => process.exit(0));
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
    );
}
