/**
 * The agent as operators run it: `galactic agent` in a child process against
 * a real `galactic oracle` process, proving Groth16 through its plugins.
 */
import { createServer, Socket as NetSocket, type Socket } from 'node:net';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver, buildPluginImage, recipe, type BuiltImage } from '../../src/plugins/index.js';
import { dockerAvailable } from '../helpers/docker.js';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';
import { LinkClient, waitUntil } from '../helpers/link-client.js';
import { graphDone, processFixture, putBlob } from '../helpers/processes.js';

const px = processFixture();
const docker = await dockerAvailable();
let fx: Groth16Fixture;
let root: string;
let n = 0;

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
  root = mkdtempSync(join(tmpdir(), 'ga-'));
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dir = (name: string) => join(root, `${name}-${++n}`);
/** A config file with fast reconnects, for the fault tests. */
function fastConfig(extra: Record<string, unknown> = {}): string {
  const file = join(root, `config-${++n}.json`);
  writeFileSync(file, JSON.stringify({ backoffBaseMs: 100, backoffMaxMs: 1000, pingMs: 500, prewarm: false, fullBenchmarkInBackground: false, ...extra }));
  return file;
}

/** Waits until the task has its inputs and the plugin reports progress (polled tightly: small proofs are quick). */
async function proving(data: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!((await px.status(data)).running[0]?.progress > 0)) {
    if (Date.now() > end) throw new Error('timed out waiting for the task to be proving');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function proofGraph(url: string, opId = 'proof') {
  const zkey = await putBlob(url, fx.zkey), witness = await putBlob(url, fx.wtns);
  const vkeyFile = join(root, 'vkey.json');
  writeFileSync(vkeyFile, JSON.stringify(fx.vkey));
  const vkey = await putBlob(url, vkeyFile);
  const res = await fetch(`${url}/v1/graphs`, {
    method: 'POST',
    body: JSON.stringify({ ops: [{ id: opId, name: 'zkp-singleton', plugin: 'groth16', params: { zkey: { blob: zkey }, witness: { blob: witness }, vkey: { blob: vkey } } }] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function verifyOutputs(url: string, graph: any) {
  const op = graph.ops[0];
  // The oracle verified it before it counted; snarkjs agrees.
  expect(op.verification).toBe('verified');
  const get = async (name: string) => JSON.parse(await (await fetch(`${url}/v1/graphs/${graph.id}/ops/${op.id}/output?name=${name}`)).text());
  expect(await snarkjs.groth16.verify(fx.vkey, await get('public.json'), await get('proof.json'))).toBe(true);
}

describe('galactic agent against a galactic oracle', () => {
  it('registers with its probed descriptor and measured power, heartbeats, proves Groth16, and drains on SIGTERM', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle'), '--heartbeat-ms', '500']);
    const data = dir('agent');
    const agent = px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'rig-1', '--benchmark', 'quick', '--config', fastConfig({ fullBenchmarkInBackground: false })]);
    await px.ready(data, 120_000);
    const [prover] = (await (await fetch(`${oracle.url}/v1/provers`)).json()) as any[];
    expect(prover).toMatchObject({ name: 'rig-1', state: 'online', device: { schema: 'galactic/device/1' } });
    expect(prover.power.gasPerSecond).toBeGreaterThan(0);
    expect(prover.power.kernels.msm).toBeGreaterThan(0);
    expect(prover.taskTypes).toEqual([{ plugin: 'groth16', ops: ['zkp-singleton', 'zkp-continuation', 'zkp-aggregation'], modes: ['efficient', 'performance'] }]);
    const seen = prover.lastSeen;
    await waitUntil(async () => ((await (await fetch(`${oracle.url}/v1/provers`)).json()) as any[])[0].lastSeen > seen, 5000, 'a heartbeat');

    const id = await proofGraph(oracle.url);
    await verifyOutputs(oracle.url, await graphDone(oracle.url, id));

    // SIGTERM while proving: the task finishes and is delivered, then the agent exits 0.
    const second = await proofGraph(oracle.url, 'second');
    await waitUntil(async () => (await px.status(data)).running.length > 0, 20_000, 'task running');
    agent.child.kill('SIGTERM');
    expect(await px.exited(agent.child)).toBe(0);
    await verifyOutputs(oracle.url, await graphDone(oracle.url, second));
    expect(agent.stderr()).toMatch(/"to":"draining"/);
  });

  it.skipIf(!docker.ok)('proves through the docker driver when the catalog pins an image', async () => {
    const image: BuiltImage = await buildPluginImage(recipe('groth16'), join(root, 'images'));
    const driver = new DockerDriver({ agentId: 'docker-rig' });
    await driver.loadTarball(image.tarball, image.sha256);
    try {
      const config = join(root, 'oracle-docker.json');
      writeFileSync(config, JSON.stringify({ catalog: [{ id: 'groth16', version: '1.0.0', image: image.ref, ops: ['zkp-singleton'], modes: ['efficient', 'performance'], verifier: 'groth16-bn254' }] }));
      const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle'), '--config', config]);
      const data = dir('agent');
      px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'docker-rig', '--driver', 'docker', '--config', fastConfig()]);
      await px.ready(data);
      await verifyOutputs(oracle.url, await graphDone(oracle.url, await proofGraph(oracle.url)));
    } finally {
      await driver.reapOrphans();
      await driver.docker.getImage(image.imageId).remove({ force: true }).catch(() => {});
    }
  });
});

describe('cancellation', () => {
  it('a graph cancelled while it proves: the agent answers cancelled, no penalty, and carries on', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle')]);
    const data = dir('agent');
    px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'obliging', '--config', fastConfig()]);
    await px.ready(data);
    const id = await proofGraph(oracle.url);
    await proving(data);
    expect((await fetch(`${oracle.url}/v1/graphs/${id}`, { method: 'DELETE' })).status).toBe(202);
    await waitUntil(async () => (await px.status(data)).running.length === 0, 10_000, 'task stopped');
    const g = (await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any;
    expect(g.status).toBe('cancelled');
    expect(g.ops[0].attempts[0].outcome).toBe('cancelled');
    const [prover] = (await (await fetch(`${oracle.url}/v1/provers`)).json()) as any[];
    expect(prover.penalty.consecutiveFailures).toBe(0);
    await waitUntil(async () => ((await (await fetch(`${oracle.url}/v1/provers`)).json()) as any[])[0].capacity.used === 0, 10_000, 'slot released');
    await verifyOutputs(oracle.url, await graphDone(oracle.url, await proofGraph(oracle.url, 'after')));
  });

  it('a second SIGTERM cancels the running task, reports it failed, and exits', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle')]);
    const data = dir('agent');
    const agent = px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'impatient', '--config', fastConfig()]);
    await px.ready(data);
    const id = await proofGraph(oracle.url);
    await proving(data);
    agent.child.kill('SIGTERM');
    agent.child.kill('SIGTERM');
    expect(await px.exited(agent.child)).toBe(0);
    const g = (await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any;
    // Either it was stopped in time (failed, cancelled) or it had just finished (done): never lost.
    const attempt = g.ops[0].attempts[0];
    expect(attempt.outcome === 'done' || /GAL_ERR_CANCELLED/.test(attempt.reason)).toBe(true);
  });
});

describe('faults', () => {
  it('the oracle killed mid-task and restarted: the result is delivered once', async () => {
    const oracleDir = dir('oracle');
    let oracle = await px.oracle(['--open', '--port', '0', '--data-dir', oracleDir, '--heartbeat-ms', '1000']);
    const port = new URL(oracle.url).port;
    const data = dir('agent');
    px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'steady', '--config', fastConfig()]);
    await px.ready(data);
    const id = await proofGraph(oracle.url);
    await proving(data);
    oracle.child.kill('SIGKILL');
    await px.exited(oracle.child);
    // The agent finishes and keeps the result until an oracle acknowledges it.
    await waitUntil(async () => (await px.status(data)).outbox === 1, 30_000, 'result in the outbox');
    oracle = await px.oracle(['--open', '--port', port, '--data-dir', oracleDir, '--heartbeat-ms', '1000']);
    const g = await graphDone(oracle.url, id);
    expect(g.ops[0].attempts).toHaveLength(1);
    expect(g.ops[0].attempts[0].outcome).toBe('done');
    await waitUntil(async () => (await px.status(data)).outbox === 0, 10_000, 'outbox empty');
    await verifyOutputs(oracle.url, g);
  });

  it('the agent killed after finishing but before the ack: restarted, it resends from the outbox', async () => {
    const oracleDir = dir('oracle');
    let oracle = await px.oracle(['--open', '--port', '0', '--data-dir', oracleDir, '--heartbeat-ms', '2000']);
    const port = new URL(oracle.url).port;
    const data = dir('agent');
    const config = fastConfig();
    let agent = px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'phoenix', '--config', config]);
    await px.ready(data);
    const id = await proofGraph(oracle.url);
    await proving(data);
    oracle.child.kill('SIGKILL');
    await waitUntil(async () => (await px.status(data)).outbox === 1, 30_000, 'result in the outbox');
    // A second agent on the same data directory is refused, and leaves the first one's outbox alone.
    const twin = px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'phoenix', '--config', config]);
    expect(await px.exited(twin.child)).toBe(2);
    expect(twin.stderr()).toMatch(/no other agent running on the data directory.*GAL_ERR_CONFIG/);
    expect((await px.status(data)).outbox).toBe(1);
    agent.child.kill('SIGKILL');
    await px.exited(agent.child);
    // What a crash leaves mid-task: a task's inputs and a plugin instance's directory.
    for (const leftover of ['work/t_crashed', 'p/0badf00d/w']) mkdirSync(join(data, leftover), { recursive: true });
    oracle = await px.oracle(['--open', '--port', port, '--data-dir', oracleDir, '--heartbeat-ms', '2000']);
    agent = px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', 'phoenix', '--config', config]);
    const g = await graphDone(oracle.url, id);
    expect(g.ops[0].attempts.map((a: any) => a.outcome)).toEqual(['done']);
    await verifyOutputs(oracle.url, g);
    expect(existsSync(join(data, 'work/t_crashed')) || existsSync(join(data, 'p/0badf00d'))).toBe(false);
  });

  it('a link that silently drops traffic: ping timeout, reconnect with growing backoff', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle'), '--heartbeat-ms', '5000']);
    const target = Number(new URL(oracle.url).port);
    let mode: 'forward' | 'blackhole' | 'refuse' = 'forward';
    const attempts: number[] = [];
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      attempts.push(Date.now());
      if (mode === 'refuse') return void client.destroy();
      const upstream = new NetSocket();
      upstream.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      client.on('data', (d) => mode === 'forward' && upstream.write(d));
      upstream.on('data', (d) => mode === 'forward' && client.write(d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const data = dir('agent');
      px.agent(['--oracle', proxyUrl, '--data-dir', data, '--name', 'cut', '--config', fastConfig({ backoffBaseMs: 200, backoffMaxMs: 5000 })]);
      await px.ready(data);
      // Silence without a close: only the missed pong can tell.
      mode = 'blackhole';
      const cutAt = Date.now();
      await waitUntil(async () => !(await px.status(data)).link.up, 5000, 'link down');
      expect(Date.now() - cutAt).toBeLessThan(3000);
      mode = 'refuse';
      for (const s of sockets) s.destroy();
      const before = attempts.length;
      await waitUntil(() => attempts.length >= before + 4, 20_000, 'reconnect attempts');
      const gaps = attempts.slice(before).map((t, i, a) => (i ? t - a[i - 1]! : 0)).slice(1);
      // base 200 ms doubling (with jitter within each window): the third gap is well above the first.
      expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 1.5);
      mode = 'forward';
      await px.ready(data, 20_000);
      expect((await px.status(data)).link.reconnects).toBeGreaterThanOrEqual(4);
    } finally {
      proxy.close();
      for (const s of sockets) s.destroy();
    }
  });

  it('a name bound to another key, a banned name, a second machine with the same identity, or an unsafe key file: the agent exits with its documented code', async () => {
    const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', dir('oracle'), '--exclusion-window-ms', '0']);
    const squatter = new LinkClient(oracle.url, { name: 'taken' });
    await squatter.connect();
    const taken = px.agent(['--oracle', oracle.url, '--data-dir', dir('agent'), '--name', 'taken', '--config', fastConfig()]);
    expect(await px.exited(taken.child)).toBe(6);
    expect(taken.stderr()).toMatch(/bound to another key/);
    await squatter.close();

    const doomed = new LinkClient(oracle.url, { name: 'doomed', behaviour: 'fail' });
    await doomed.connect();
    for (let i = 0; i < 4; i++)
      await fetch(`${oracle.url}/v1/graphs`, { method: 'POST', body: JSON.stringify({ ops: [{ id: `x${i}`, name: 'zkp-singleton' }] }) });
    await waitUntil(() => doomed.closeCode === 4003, 10_000, 'banned');
    const banned = px.agent(['--oracle', oracle.url, '--data-dir', dir('agent'), '--name', 'doomed', '--config', fastConfig()]);
    expect(await px.exited(banned.child)).toBe(3);
    expect(banned.stderr()).toMatch(/GAL_ERR_BANNED/);

    // Two machines with one identity (a cloned data directory): the newer link wins, the older agent stops instead of flapping.
    const original = dir('agent');
    const first = px.agent(['--oracle', oracle.url, '--data-dir', original, '--name', 'cloned', '--config', fastConfig()]);
    await px.ready(original);
    const clone = dir('agent');
    mkdirSync(clone, { mode: 0o700 });
    copyFileSync(join(original, 'identity.key'), join(clone, 'identity.key'));
    chmodSync(join(clone, 'identity.key'), 0o600);
    const second = px.agent(['--oracle', oracle.url, '--data-dir', clone, '--name', 'cloned', '--config', fastConfig()]);
    expect(await px.exited(first.child)).toBe(7);
    expect(first.stderr()).toMatch(/another agent with this identity/);
    await px.ready(clone);
    await new Promise((r) => setTimeout(r, 1500));
    expect(second.child.exitCode).toBe(null);
    expect((await px.status(clone)).link.up).toBe(true);
    second.child.kill('SIGTERM');
    await px.exited(second.child);

    const unsafe = dir('agent');
    const careless = px.agent(['--oracle', oracle.url, '--data-dir', unsafe, '--name', 'careless', '--config', fastConfig()]);
    await px.ready(unsafe);
    careless.child.kill('SIGTERM');
    await px.exited(careless.child);
    chmodSync(join(unsafe, 'identity.key'), 0o644);
    const refused = px.agent(['--oracle', oracle.url, '--data-dir', unsafe, '--name', 'careless']);
    expect(await px.exited(refused.child)).toBe(2);
    expect(refused.stderr()).toMatch(/mode 0600/);
  });
});

describe('bad input from the oracle side', () => {
  it('rejects malformed or unknown assignments, blobs that do not hash right and outputs the oracle refuses, times tasks on the oracle\'s clock, and keeps running', async () => {
    const { createServer: createHttp } = await import('node:http');
    const { WebSocketServer } = await import('ws');
    const good = Buffer.from('what the blob should be');
    const { createHash } = await import('node:crypto');
    const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const claimed = hash(good);
    const zkey = readFileSync(fx.zkey), witness = readFileSync(fx.wtns);
    const served = new Map([[hash(zkey), zkey], [hash(witness), witness]]);
    let cut = false;
    const http = createHttp((req, res) => {
      const blob = served.get(req.url!.slice('/v1/blobs/'.length));
      if (req.method === 'GET' && blob && !cut && blob === zkey) {
        // The first download of the key breaks off half way: the agent must fetch it again, whole.
        cut = true;
        res.writeHead(200, { 'content-length': blob.length });
        return void res.write(blob.subarray(0, blob.length >> 1), () => res.destroy());
      }
      if (req.method === 'GET' && blob) return void res.end(blob);
      // This oracle takes no output, however small: a result can never be delivered.
      if (req.method === 'PUT' && req.url!.startsWith('/v1/blobs/')) {
        req.resume();
        res.writeHead(413, { 'content-type': 'application/json' });
        return void res.end('{"error":{"code":"GAL_ERR_SIZE_LIMIT","message":"Expected a blob of at most 10 bytes"}}');
      }
      if (req.url === '/v1/plugins') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify([{ id: 'groth16', version: '1', image: null, ops: ['zkp-singleton'], modes: ['efficient'], requirements: {}, verifier: 'none' }]));
      }
      if (req.url === `/v1/blobs/${claimed}`) return void res.end('something else entirely');
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server: http, path: '/v1/link' });
    const got: any[] = [];
    let link: import('ws').WebSocket | null = null;
    wss.on('connection', (ws) => {
      link = ws;
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        got.push(m);
        if (m.type === 'hello') ws.send(JSON.stringify({ type: 'challenge', nonce: Buffer.alloc(32, 1).toString('base64'), oracleId: 'o_fake' }));
        if (m.type === 'auth') ws.send(JSON.stringify({ type: 'welcome', proverId: 'p_fake', heartbeatMs: 300, blobToken: 'b_x', resume: [] }));
        if (m.type === 'register') ws.send(JSON.stringify({ type: 'registered' }));
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
      const data = dir('agent');
      const agent = px.agent(['--oracle', url, '--data-dir', data, '--name', 'careful', '--config', fastConfig()]);
      await px.ready(data);
      const base = { type: 'assign', graphId: 'g', opId: 'o', attempt: 1, plugin: 'groth16', op: 'zkp-singleton', mode: 'efficient', priority: 0, deadline: Date.now() + 60_000, inputs: [], params: {} };
      link!.send(JSON.stringify({ type: 'assign', taskId: 't_malformed' }));
      link!.send(JSON.stringify({ ...base, taskId: 't_unknown', op: 'zkp-mystery' }));
      link!.send(JSON.stringify({ ...base, taskId: 't_hash', inputs: [{ name: 'witness', sha256: claimed, size: good.length }] }));
      link!.send(JSON.stringify({ type: 'teleport' }));
      link!.send('{not json');
      const find = (pred: (m: any) => boolean) => waitUntil(() => got.find(pred), 15_000, 'a message from the agent');
      expect(await find((m) => m.type === 'reject' && m.taskId === 't_malformed')).toMatchObject({ code: 'GAL_ERR_MESSAGE_INVALID' });
      expect(await find((m) => m.type === 'reject' && m.taskId === 't_unknown')).toMatchObject({ code: 'GAL_ERR_TASK_TYPE' });
      expect(await find((m) => m.type === 'accept' && m.taskId === 't_hash')).toBeTruthy();
      const failed = await find((m) => m.type === 'fail' && m.taskId === 't_hash');
      expect(failed.code).toBe('GAL_ERR_BLOB_HASH');
      expect(failed.reason).toMatch(/hashes to/);
      expect(await find((m) => m.type === 'error' && m.code === 'GAL_ERR_MESSAGE_UNKNOWN')).toMatchObject({ ref: 'teleport' });
      // Proved, but its outputs are refused as too large: a failure, not a result retried forever.
      // This oracle's clock is an hour behind the agent's: the task still gets its minute.
      const oracleNow = Date.now() - 3_600_000;
      const skewed = { deadline: oracleNow + 60_000, sentAt: oracleNow };
      link!.send(JSON.stringify({ ...base, ...skewed, taskId: 't_undeliverable', params: { zkey: { blob: hash(zkey) }, witness: { blob: hash(witness) } } }));
      const undeliverable = await find((m) => m.type === 'fail' && m.taskId === 't_undeliverable');
      expect(undeliverable).toMatchObject({ code: 'GAL_ERR_PLUGIN_OUTPUT', reason: expect.stringMatching(/larger than the oracle accepts: .*GAL_ERR_SIZE_LIMIT/) });
      expect(got.some((m) => m.type === 'result')).toBe(false);
      expect(cut).toBe(true);
      // The two failures wait for acknowledgement; the outputs no result will carry are not kept.
      expect((await px.status(data)).outbox).toBe(2);
      expect(readdirSync(join(data, 'outbox', 'blobs'))).toEqual([]);
      // Still alive and beating.
      const beats = got.filter((m) => m.type === 'heartbeat').length;
      await waitUntil(() => got.filter((m) => m.type === 'heartbeat').length > beats + 1, 5000, 'more heartbeats');
      expect(agent.child.exitCode).toBe(null);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.close();
    }
  });
});

describe('running it', () => {
  it('with no --oracle: an embedded oracle in the same process, proving what is submitted to it; galactic status reads it', async () => {
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const { bin } = await import('../helpers/processes.js');
    const data = dir('agent');
    const child = spawn(process.execPath, [bin, 'agent', '--data-dir', data, '--port', '0', '--benchmark', 'skip', '--name', 'solo', '--log-level', 'warn', '--config', fastConfig()], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
      const url = /embedded oracle at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
      await px.ready(data);
      await verifyOutputs(url, await graphDone(url, await proofGraph(url)));
      const { execFile } = await import('node:child_process');
      const status = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [bin, 'status', '--data-dir', data], (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      expect(status).toMatch(/^agent solo \(p_\S+\): ready/);
      expect(status).toMatch(/\(embedded\): link up/);
      const unit = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [bin, 'agent', 'install-service', '--dry-run', '--json'], (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      const parsed = JSON.parse(unit);
      expect(parsed.written).toBe(false);
      expect(parsed.unit).toMatch(/ExecStart=.*main\.js agent/);
      expect(parsed.unit).toMatch(/RestartPreventExitStatus=2 3 4 5 6 7/);
    } finally {
      child.kill('SIGTERM');
      await px.exited(child);
    }
  });
});
