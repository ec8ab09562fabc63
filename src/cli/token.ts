/** `galactic token`: the operator mints, lists and revokes requester tokens (docs/protocol.md §1). */
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../oracle/config.js';
import { reportErrors } from './options.js';
import { call } from './api.js';

interface TokenFlags {
  oracle: string;
  token?: string;
  json?: boolean;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description("mint, list and revoke requester tokens on an oracle (needs the operator's token)");
  const common = (c: Command) =>
    c
      .option('--oracle <url>', 'the oracle', process.env.GALACTIC_ORACLE ?? `http://127.0.0.1:${DEFAULT_PORT}`)
      // From the environment in the action, not as a default that --help would print.
      .option('--token <token>', "the operator's token (default $GALACTIC_TOKEN; the oracle writes it to <data-dir>/operator-token)")
      .option('--json', 'print JSON');
  /** A request to the oracle's token API, with the operator's token. */
  const api = (flags: TokenFlags, path: string, init: RequestInit) =>
    call(`${flags.oracle.replace(/\/+$/, '')}/v1/tokens${path}`, init, flags.token ?? process.env.GALACTIC_TOKEN);
  const print = (flags: TokenFlags, value: unknown, text: string) => process.stdout.write(flags.json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');

  common(token.command('create').description('mint a requester token; it is shown once').option('--label <label>', 'who it is for'))
    .action((flags: TokenFlags & { label?: string }) =>
      reportErrors('token create', async () => {
        const minted = await api(flags, '', { method: 'POST', body: JSON.stringify({ label: flags.label ?? null }) });
        print(flags, minted, `${minted.token}\nid ${minted.id}${minted.label ? ` (${minted.label})` : ''}`);
      }),
    );
  common(token.command('ls').description('list the requester tokens by id and label (never the tokens)'))
    .action((flags: TokenFlags) =>
      reportErrors('token ls', async () => {
        const list = (await api(flags, '', { method: 'GET' })) as { id: string; label: string | null; createdAt: number }[];
        print(flags, list, list.map((t) => `${t.id}  ${new Date(t.createdAt).toISOString()}  ${t.label ?? ''}`.trimEnd()).join('\n') || 'no requester tokens');
      }),
    );
  common(token.command('revoke').description('revoke a requester token: its calls are refused, its graphs run on').argument('<id>', 'the token id (from create or ls)'))
    .action((id: string, flags: TokenFlags) =>
      reportErrors('token revoke', async () => {
        const revoked = await api(flags, `/${encodeURIComponent(id)}`, { method: 'DELETE' });
        print(flags, revoked, `revoked ${revoked.id}`);
      }),
    );
}
