import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkClient, waitUntil } from '../helpers/link-client.js';
import { continuationGraph } from '../helpers/oracle.js';
import { bin, processFixture } from '../helpers/processes.js';

const run = promisify(execFile);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'galactic-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const px = processFixture();
const startOracleProcess = (args: string[]) => px.oracle(['--port', '0', ...args]);

describe('galactic oracle and galactic submit', () => {
  it('serves a graph that submit --follow follows to the end, and stops cleanly on SIGTERM', async () => {
    const dir = temp();
    const { child, info } = await startOracleProcess(['--open', '--data-dir', join(dir, 'oracle'), '--heartbeat-ms', '500']);
    expect(info).toMatchObject({ open: true, operatorTokenFile: null });
    const agent = new LinkClient(info.url, { name: 'cli-rig' });
    cleanups.push(() => agent.close());
    await agent.connect();
    const graphFile = join(dir, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(continuationGraph(2)));
    const { stdout } = await run(process.execPath, [bin, 'submit', graphFile, '--oracle', info.url, '--follow', '--interval-ms', '50']);
    expect(stdout).toMatch(/^submitted g_\S+: [\d,]+ gas, price /);
    expect(stdout).toMatch(/seg0 +done on cli-rig, unverified/);
    expect(stdout).toMatch(/graph g_\S+ done/);
    expect(stdout).toMatch(/agg\/proof +\d+ bytes +http:\/\/127\.0\.0\.1:\d+\/v1\/blobs\/[0-9a-f]{64}/);
    const json = JSON.parse((await run(process.execPath, [bin, 'submit', graphFile, '--oracle', info.url, '--follow', '--json', '--interval-ms', '50'])).stdout);
    expect(json.status).toBe('done');
    expect(json.ops.every((op: any) => op.deviceIds?.[0] === agent.proverId)).toBe(true);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('submit --follow waits through an oracle restart and follows the graph to its end', async () => {
    const dir = temp();
    const args = ['--open', '--data-dir', join(dir, 'oracle'), '--heartbeat-ms', '500'];
    const first = await startOracleProcess(args);
    const graphFile = join(dir, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(continuationGraph(1)));
    const { spawn } = await import('node:child_process');
    const follower = spawn(process.execPath, [bin, 'submit', graphFile, '--oracle', first.info.url, '--follow', '--interval-ms', '50']);
    let stdout = '';
    follower.stdout.on('data', (d) => (stdout += d));
    const exit = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    await waitUntil(() => /submitted g_/.test(stdout), 10_000, 'the submission');
    first.child.kill('SIGKILL');
    await px.exited(first.child);
    await waitUntil(() => /unreachable.*waiting for it/.test(stdout), 10_000, 'the follower to notice');
    const again = await px.oracle(['--port', new URL(first.info.url).port, ...args]);
    const agent = new LinkClient(again.info.url, { name: 'after-restart' });
    cleanups.push(() => agent.close());
    await agent.connect();
    expect(await exit).toBe(0);
    expect(stdout).toMatch(/graph g_\S+ done/);
  });

  it('prints where the operator token is and requires it', async () => {
    const dir = temp();
    const { info } = await startOracleProcess(['--data-dir', join(dir, 'oracle')]);
    expect(info.operatorTokenFile).toBe(join(dir, 'oracle', 'operator-token'));
    const graphFile = join(dir, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(continuationGraph(1)));
    const refused = await run(process.execPath, [bin, 'submit', graphFile, '--oracle', info.url]).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/GAL_ERR_UNAUTHORIZED/);
  });

  it('galactic token mints, lists and revokes requester tokens with the operator token from the environment, which --help never prints', async () => {
    const dir = temp();
    const { info } = await startOracleProcess(['--data-dir', join(dir, 'oracle')]);
    const operator = readFileSync(info.operatorTokenFile, 'utf8').trim();
    const galactic = (args: string[], token = operator) =>
      run(process.execPath, [bin, ...args, '--oracle', info.url], { env: { ...process.env, GALACTIC_TOKEN: token } });
    const minted = JSON.parse((await galactic(['token', 'create', '--label', 'team-a', '--json'])).stdout);
    expect(minted).toMatchObject({ token: expect.stringMatching(/^r_/), id: expect.stringMatching(/^[0-9a-f]{64}$/), label: 'team-a' });
    expect((await galactic(['token', 'ls'])).stdout).toMatch(new RegExp(`^${minted.id}  \\S+  team-a$`, 'm'));
    const graphFile = join(dir, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(continuationGraph(1)));
    expect((await galactic(['submit', graphFile], minted.token)).stdout).toMatch(/^submitted g_/);
    expect((await galactic(['token', 'revoke', minted.id])).stdout).toBe(`revoked ${minted.id}\n`);
    const refused = await galactic(['submit', graphFile], minted.token).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/GAL_ERR_UNAUTHORIZED/);
    expect(JSON.parse((await galactic(['token', 'ls', '--json'])).stdout)).toEqual([]);
    const asRequester = await galactic(['token', 'ls'], 'r_nobody').catch((e) => e);
    expect(asRequester.code).toBe(2);
    for (const command of [['submit', '--help'], ['token', 'create', '--help']])
      expect((await run(process.execPath, [bin, ...command], { env: { ...process.env, GALACTIC_TOKEN: 'r_do-not-print' } })).stdout).not.toContain('r_do-not-print');
  });

  it('rejects bad input with exit code 2 and a reason', async () => {
    const dir = temp();
    const open = await run(process.execPath, [bin, 'oracle', '--host', '0.0.0.0', '--open', '--port', '0', '--data-dir', dir]).catch((e) => e);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/loopback.*GAL_ERR_CONFIG/);
    const badFlag = await run(process.execPath, [bin, 'oracle', '--redundancy', '99']).catch((e) => e);
    expect(badFlag.code).toBe(2);
    writeFileSync(join(dir, 'config.json'), '{"heartbeatMs": "often"}');
    const badConfig = await run(process.execPath, [bin, 'oracle', '--config', join(dir, 'config.json'), '--port', '0', '--data-dir', dir]).catch((e) => e);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/heartbeatMs.*GAL_ERR_CONFIG/);
    const { info } = await startOracleProcess(['--open', '--data-dir', join(dir, 'o')]);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ops: [{ id: 'a', name: 'zkp-singleton', inputs: ['b'] }] }));
    const invalid = await run(process.execPath, [bin, 'submit', join(dir, 'bad.json'), '--oracle', info.url]).catch((e) => e);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/\/ops\/0\/inputs\/0 +unknown-op/);
    const unreachable = await run(process.execPath, [bin, 'submit', join(dir, 'bad.json'), '--oracle', 'http://127.0.0.1:9']).catch((e) => e);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/GAL_ERR_ORACLE_UNREACHABLE/);
  });
});
