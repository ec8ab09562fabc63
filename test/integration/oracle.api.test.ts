import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startOracle } from '../../src/oracle/index.js';
import { fakeDevice, waitUntil } from '../helpers/link-client.js';
import { continuationGraph, getJson, oracleFixture, submitGraph } from '../helpers/oracle.js';
import WebSocket from 'ws';

const fx = oracleFixture();
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('link robustness', () => {
  it('answers malformed and unknown frames with an error and keeps the link and the other agents working', async () => {
    const o = await fx.oracle();
    const noisy = fx.client(o, { name: 'noisy', behaviour: 'manual' });
    const quiet = fx.client(o, { name: 'quiet' });
    await noisy.connect();
    await quiet.connect();
    noisy.send('{not json');
    expect(await noisy.next((m) => m.type === 'error')).toMatchObject({ code: 'GAL_ERR_MESSAGE_INVALID' });
    noisy.ws!.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await noisy.next((m) => m.type === 'error')).toMatchObject({ code: 'GAL_ERR_MESSAGE_INVALID' });
    noisy.send({ type: 'teleport', to: 'mars' });
    expect(await noisy.next((m) => m.type === 'error')).toMatchObject({ code: 'GAL_ERR_MESSAGE_UNKNOWN', ref: 'teleport' });
    noisy.send({ type: 'result', taskId: 't_x', attempt: -1, outputs: 'lots', signature: '' });
    expect(await noisy.next((m) => m.type === 'error')).toMatchObject({ code: 'GAL_ERR_MESSAGE_INVALID', ref: 'result' });
    noisy.send({ type: 'heartbeat', seq: 1, state: 'idle', running: [], extra: 'ignored' });
    noisy.send({ type: 'result', taskId: 't_unknown', attempt: 1, outputs: [], signature: Buffer.alloc(64).toString('base64') });
    expect(await noisy.next((m) => m.type === 'ack')).toMatchObject({ accepted: false });
    // An oversized frame closes that link only.
    noisy.send('x'.repeat(1024 * 1024 + 10));
    await waitUntil(() => noisy.closeCode === 1009, 5000, 'close 1009');
    const { body } = await submitGraph(o, { ops: [{ id: 'a', name: 'zkp-singleton' }] });
    await waitUntil(async () => (await getJson(o, `/v1/graphs/${body.id}`)).body.status === 'done');
  });

  it('refuses unauthenticated, mis-signed and wrong-protocol handshakes', async () => {
    const o = await fx.oracle({ handshakeTimeoutMs: 300 });
    const raw = async (frames: unknown[]) => {
      const ws = new WebSocket(o.linkUrl);
      const got: any[] = [];
      ws.on('message', (d) => got.push(JSON.parse(d.toString())));
      await new Promise((r) => ws.once('open', r));
      for (const f of frames) ws.send(JSON.stringify(f));
      const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
      return { code, got };
    };
    const key = Buffer.alloc(32, 7).toString('base64');
    const early = await raw([{ type: 'register', device: fakeDevice(), power: { gasPerSecond: 1 }, taskTypes: [], capacity: { slots: 1 } }]);
    expect(early.code).toBe(1008);
    expect(early.got.at(-1)).toMatchObject({ type: 'refused', code: 'GAL_ERR_MESSAGE_INVALID' });
    const proto = await raw([{ type: 'hello', protocol: 'galactic/0', name: 'old', publicKey: key }]);
    expect(proto.code).toBe(4005);
    const forged = await raw([
      { type: 'hello', protocol: 'galactic/1', name: 'forger', publicKey: key },
      { type: 'auth', signature: Buffer.alloc(64, 1).toString('base64') },
    ]);
    expect(forged.code).toBe(4004);
    expect(forged.got.map((m) => m.type)).toEqual(['challenge', 'refused']);
    const silent = await raw([]);
    expect(silent.code).toBe(1008);
    // None of them left a prover behind.
    expect((await getJson(o, '/v1/provers')).body).toEqual([]);
  });
});

describe('requester API', () => {
  it('requires tokens unless open, and keeps requesters to their own graphs', async () => {
    const o = await fx.oracle({ open: false });
    const tokenFile = o.tokens.operatorTokenPath;
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const operator = readFileSync(tokenFile, 'utf8').trim();
    expect((await getJson(o, '/v1/provers')).status).toBe(401);
    expect((await getJson(o, '/v1/provers', 'nonsense')).status).toBe(401);
    expect((await getJson(o, '/healthz')).status).toBe(200);
    const mint = async () =>
      ((await (await fetch(`${o.url}/v1/tokens`, { method: 'POST', body: '{"label":"t"}', headers: { authorization: `Bearer ${operator}` } })).json()) as any).token as string;
    const alice = await mint(), bob = await mint();
    expect((await getJson(o, '/metrics', alice)).status).toBe(403);
    expect((await fetch(`${o.url}/metrics`, { headers: { authorization: `Bearer ${operator}` } })).status).toBe(200);
    const { status, body } = await submitGraph(o, continuationGraph(1), alice);
    expect(status).toBe(201);
    expect(body.warnings[0]).toMatchObject({ code: 'no-matching-prover' });
    expect((await getJson(o, `/v1/graphs/${body.id}`, alice)).status).toBe(200);
    expect((await getJson(o, `/v1/graphs/${body.id}`, bob)).body.error.code).toBe('GAL_ERR_NOT_FOUND');
    expect((await getJson(o, `/v1/graphs/${body.id}`, operator)).status).toBe(200);
    expect((await getJson(o, '/v1/graphs', bob)).body).toEqual([]);
    expect((await fetch(`${o.url}/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${alice}` } })).status).toBe(403);
  });

  it('lists and revokes requester tokens, and a new operator-token file retires the old one', async () => {
    const dataDir = fx.tempDir();
    const o = await fx.oracle({ dataDir, open: false });
    const operator = readFileSync(o.tokens.operatorTokenPath, 'utf8').trim();
    const as = (token: string, method = 'GET', body?: string) => (path: string) =>
      fetch(`${o.url}${path}`, { method, body, headers: { authorization: `Bearer ${token}` } });
    const mint = async (label: string) => (await (await as(operator, 'POST', JSON.stringify({ label }))('/v1/tokens')).json()) as any;
    const [alice, bob] = [await mint('alice'), await mint('bob')];
    expect(alice.id).toBe(sha(alice.token));
    const listed = ((await (await as(operator)('/v1/tokens')).json()) as any[]).map((t) => `${t.label} ${t.id}`);
    expect(listed.sort()).toEqual([`alice ${alice.id}`, `bob ${bob.id}`]);
    // Graphs name their requester by the token's id.
    const graph = (await submitGraph(o, continuationGraph(1), alice.token)).body.id;
    expect((await getJson(o, '/v1/graphs', operator)).body.find((g: any) => g.id === graph).owner).toBe(alice.id);
    expect((await as(bob.token, 'DELETE')(`/v1/tokens/${alice.id}`)).status).toBe(403);
    expect((await as(operator, 'DELETE')(`/v1/tokens/${alice.id}`)).status).toBe(200);
    expect((await as(alice.token)('/v1/graphs')).status).toBe(401);
    expect((await as(bob.token)('/v1/graphs')).status).toBe(200);
    expect((await as(operator, 'DELETE')(`/v1/tokens/${alice.id}`)).status).toBe(404);
    expect((await as(operator, 'DELETE')('/v1/tokens/not-an-id')).status).toBe(400);
    expect(((await (await as(operator)('/v1/tokens')).json()) as any[]).map((t) => t.label)).toEqual(['bob']);
    // Rotation: remove the file, restart; the old operator token is refused, the new one and Bob's work.
    await fx.stop(o);
    rmSync(join(dataDir, 'operator-token'));
    const again = await fx.oracle({ dataDir, open: false });
    const rotated = readFileSync(again.tokens.operatorTokenPath, 'utf8').trim();
    expect(rotated).not.toBe(operator);
    expect((await getJson(again, '/v1/graphs', operator)).status).toBe(401);
    expect((await getJson(again, '/v1/graphs', rotated)).status).toBe(200);
    expect((await getJson(again, '/v1/graphs', bob.token)).status).toBe(200);
  });

  it('rejects open mode away from loopback', async () => {
    await expect(startOracle({ host: '0.0.0.0', open: true, port: 0, dataDir: fx.tempDir() })).rejects.toMatchObject({ code: 'GAL_ERR_CONFIG' });
  });

  it('stores blobs only under their own hash and within the limits', async () => {
    const o = await fx.oracle({ maxBlobBytes: 1000, maxBodyBytes: 2000 });
    const put = (name: string, body: Uint8Array | string) => fetch(`${o.url}/v1/blobs/${name}`, { method: 'PUT', body });
    const ok = await put(sha('hello'), 'hello');
    expect(ok.status).toBe(201);
    expect((await put(sha('hello'), 'hello')).status).toBe(200);
    expect(await (await fetch(`${o.url}/v1/blobs/${sha('hello')}`)).text()).toBe('hello');
    const wrong = await put(sha('hello!'), 'hello');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error.code).toBe('GAL_ERR_BLOB_HASH');
    const big = Buffer.alloc(1001, 1);
    expect((await put(sha(big), big)).status).toBe(413);
    expect(((await (await put('not-a-hash', 'x')).json()) as any).error.code).toBe('GAL_ERR_INVALID_ARGUMENT');
    expect((await fetch(`${o.url}/v1/blobs/${sha('nothing')}`)).status).toBe(404);
    const huge = await submitGraph(o, { ops: [{ id: 'a', name: 'zkp-singleton', params: { pad: 'x'.repeat(3000) } }] });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('GAL_ERR_SIZE_LIMIT');
  });

  it('answers bad requests with codes and every graph problem with its path', async () => {
    const o = await fx.oracle();
    expect((await submitGraph(o, '{"ops": [')).body.error.code).toBe('GAL_ERR_INVALID_ARGUMENT');
    const bad = await submitGraph(o, {
      ops: [
        { id: 'a', name: 'zkp-singleton', inputs: ['b'], outputs: [], colour: 'red' },
        { id: 'b', name: 'zkp-singleton', inputs: ['a'], outputs: ['a'] },
        { id: 'c', name: 'zkp-mystery', inputs: ['ghost'], params: { key: { blob: sha('missing') } } },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('GAL_ERR_GRAPH_INVALID');
    const found = bad.body.error.problems.map((p: any) => `${p.code} ${p.path}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'unknown-field /ops/0/colour',
        'edge-mismatch /ops/1/inputs/0',
        'unknown-op /ops/2/inputs/0',
        'cycle /ops/0',
        'no-plugin /ops/2/name',
        'unknown-blob /ops/2/params/key/blob',
      ]),
    );
    expect(bad.body.error.problems.find((p: any) => p.code === 'cycle').message).toMatch(/a → b → a/);
    expect((await fetch(`${o.url}/v1/graphs`, { method: 'PATCH' })).status).toBe(405);
    expect((await getJson(o, '/v2/anything')).body.error.code).toBe('GAL_ERR_NOT_FOUND');
    expect((await getJson(o, '/v1/graphs/g_nope')).status).toBe(404);
    expect((await getJson(o, '/v1/plugins')).body[0]).toMatchObject({ id: 'groth16', ops: expect.arrayContaining(['zkp-aggregation']) });
    expect((await getJson(o, '/healthz')).body.ok).toBe(true);
  });

  it('answers request targets that do not parse with 400 and stays up, also on the upgrade path', async () => {
    const o = await fx.oracle();
    const { port } = new URL(o.url);
    // Raw bytes: fetch() would normalise these targets before sending them.
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5000, () => reject(new Error(`no answer to ${JSON.stringify(request.split('\r')[0])}`)));
      });
    const get = (target: string) => raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    for (const target of ['/v1/graphs/%E0%A4%A', '/v1/blobs/%ZZ', '/%ff', '/v1/graphs/%']) {
      const answer = await get(target);
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer, target).toContain('"code":"GAL_ERR_INVALID_ARGUMENT"');
    }
    expect(await get('//')).toMatch(/^HTTP\/1\.1 404 [^]*"code":"GAL_ERR_NOT_FOUND"/);
    const upgrade = (target: string) =>
      `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    for (const target of ['//', '/v1/%ZZ', '/elsewhere']) expect(await raw(upgrade(target)), target).toBe('');
    expect(await raw(upgrade('/v1/link'))).toMatch(/^HTTP\/1\.1 101 /);
    expect((await getJson(o, '/healthz')).body.ok).toBe(true);
  });

  it('closes a connection that stalls, but not an idle agent link', async () => {
    const o = await fx.oracle({ idleTimeoutMs: 300 });
    const { port } = new URL(o.url);
    const t0 = Date.now();
    const closed = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(`PUT /v1/blobs/${sha('x')} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc`));
      socket.on('close', () => resolve(Date.now() - t0));
      socket.on('error', () => {});
    });
    expect(closed).toBeGreaterThanOrEqual(250);
    expect(closed).toBeLessThan(5000);
    // A link past its handshake says nothing for a while: it stays open.
    const ws = new WebSocket(o.linkUrl);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'hello', protocol: 'galactic/1', name: 'quiet', publicKey: Buffer.alloc(32, 9).toString('base64') }));
    await new Promise((r) => ws.once('message', r));
    await new Promise((r) => setTimeout(r, 1000));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it("lists each requester's own latest graphs, and refuses a limit that is not a positive integer", async () => {
    const o = await fx.oracle({ open: false });
    const operator = readFileSync(o.tokens.operatorTokenPath, 'utf8').trim();
    const mint = async () =>
      ((await (await fetch(`${o.url}/v1/tokens`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${operator}` } })).json()) as any).token as string;
    const alice = await mint(), bob = await mint();
    const aliceGraph = (await submitGraph(o, continuationGraph(1), alice)).body.id;
    const bobGraphs: string[] = [];
    for (let i = 0; i < 3; ++i) bobGraphs.push((await submitGraph(o, continuationGraph(1), bob)).body.id);
    // Bob's graphs are newer, yet Alice's latest one is still hers to see.
    expect((await getJson(o, '/v1/graphs?limit=1', alice)).body.map((g: any) => g.id)).toEqual([aliceGraph]);
    expect((await getJson(o, '/v1/graphs?limit=2', bob)).body.map((g: any) => g.id)).toEqual([bobGraphs[2], bobGraphs[1]]);
    expect((await getJson(o, '/v1/graphs?limit=5000', operator)).body.map((g: any) => g.id)).toEqual([...bobGraphs].reverse().concat(aliceGraph));
    for (const limit of ['0', '-5', 'abc', '1.5', '', '1e3']) {
      const { status, body } = await getJson(o, `/v1/graphs?limit=${limit}`, operator);
      expect(status, limit).toBe(400);
      expect(body.error.code).toBe('GAL_ERR_INVALID_ARGUMENT');
    }
  });

  it('answers a graph read with its version: 304 when unchanged, only the changed ops since an earlier one', async () => {
    const o = await fx.oracle();
    const agent = fx.client(o, { name: 'worker', behaviour: 'manual' });
    await agent.connect();
    const { body } = await submitGraph(o, {
      ops: [
        { id: 'a', name: 'zkp-singleton', outputs: ['b'] },
        { id: 'b', name: 'zkp-singleton', inputs: ['a'], outputs: ['c'] },
        { id: 'c', name: 'zkp-singleton', inputs: ['b'] },
      ],
    });
    const read = (query = '', headers: Record<string, string> = {}) => fetch(`${o.url}/v1/graphs/${body.id}${query}`, { headers });
    const a = (await agent.next((m) => m.type === 'assign')) as any;
    const whole = await read();
    const v1 = ((await whole.json()) as any).version as string;
    expect(whole.headers.get('etag')).toBe(`"${v1}"`);
    expect((await read('', { 'if-none-match': `W/"${v1}"` })).status).toBe(304);
    expect((await (await read(`?since=${v1}`)).json()) as any).toMatchObject({ version: v1, changedSince: v1, ops: [] });

    await agent.prove(a);
    const b = (await agent.next((m) => m.type === 'assign')) as any;
    const delta = (await (await read(`?since=${v1}`)).json()) as any;
    expect(delta.changedSince).toBe(v1);
    expect(delta.version).not.toBe(v1);
    expect(delta.ops.map((op: any) => [op.id, op.status])).toEqual([['a', 'done'], ['b', 'assigned']]);
    expect((await read('', { 'if-none-match': `"${v1}"` })).status).toBe(200);
    // A reader that merges the deltas sees what a whole read shows, after an accept too.
    const merged = new Map(((await (await read()).json()) as any).ops.map((op: any) => [op.id, op]));
    let version = delta.version as string;
    const follow = async () => {
      const d = (await (await read(`?since=${version}`)).json()) as any;
      for (const op of d.ops) merged.set(op.id, op);
      version = d.version;
      expect([...merged.values()]).toEqual(((await (await read()).json()) as any).ops);
    };
    agent.send({ type: 'accept', taskId: b.taskId });
    await waitUntil(async () => (await getJson(o, `/v1/graphs/${body.id}`)).body.ops[1].attempts[0].accepted);
    await follow();
    // A version this copy of the graph never had (another process, a restart) gets the whole document.
    const other = (await (await read(`?since=${v1.replace(/^\w+/, 'ffffffff')}`)).json()) as any;
    expect(other.changedSince).toBeUndefined();
    expect(other.ops).toHaveLength(3);
    expect((await getJson(o, `/v1/graphs/${body.id}?since=${encodeURIComponent('v1; drop')}`)).body.error.code).toBe('GAL_ERR_INVALID_ARGUMENT');

    // An ended graph's document is whole, whatever `since` says, and its version stays put.
    await agent.prove(b);
    await agent.prove((await agent.next((m) => m.type === 'assign')) as any);
    await waitUntil(async () => (await getJson(o, `/v1/graphs/${body.id}`)).body.status === 'done');
    const ended = (await (await read(`?since=${delta.version}`)).json()) as any;
    expect(ended.changedSince).toBeUndefined();
    expect(ended.ops).toHaveLength(3);
    expect((await read('', { 'if-none-match': `"${ended.version}"` })).status).toBe(304);
  });

  it('passes blob inputs to the plugin and cancels a graph on DELETE without penalty', async () => {
    const o = await fx.oracle();
    const input = Buffer.from('witness bytes');
    await fetch(`${o.url}/v1/blobs/${sha(input)}`, { method: 'PUT', body: input });
    const agent = fx.client(o, { name: 'worker', behaviour: 'manual' });
    await agent.connect();
    const { body } = await submitGraph(o, { ops: [{ id: 'a', name: 'zkp-singleton', params: { witness: { blob: sha(input) } } }] });
    const task = (await agent.next((m) => m.type === 'assign')) as any;
    expect(task.params.witness.blob).toBe(sha(input));
    expect(await (await fetch(`${o.url}/v1/blobs/${sha(input)}`, { headers: { authorization: `Bearer ${agent.blobToken}` } })).text()).toBe('witness bytes');
    expect((await fetch(`${o.url}/v1/graphs/${body.id}`, { method: 'DELETE' })).status).toBe(202);
    expect(await agent.next((m) => m.type === 'cancel')).toMatchObject({ taskId: task.taskId, reason: 'cancelled' });
    const g = (await getJson(o, `/v1/graphs/${body.id}`)).body;
    expect(g.status).toBe('cancelled');
    expect(g.ops[0].attempts[0].outcome).toBe('cancelled');
    await agent.prove(task);
    expect(await agent.next((m) => m.type === 'ack')).toMatchObject({ accepted: false });
    expect((await getJson(o, '/v1/provers')).body[0].penalty.consecutiveFailures).toBe(0);
  });

  it('deletes ended graphs and the blobs nothing kept references after the retention period, and nothing a kept graph needs', async () => {
    let now = Date.now();
    const day = 24 * 3600_000;
    const dataDir = fx.tempDir();
    const o = await fx.oracle({ dataDir, retentionDays: 2, clock: { now: () => now } });
    const put = async (text: string) => {
      expect((await fetch(`${o.url}/v1/blobs/${sha(text)}`, { method: 'PUT', body: text })).ok).toBe(true);
      return sha(text);
    };
    const file = (hash: string) => join(dataDir, 'blobs', hash.slice(0, 2), hash);
    const [oldInput, sharedInput, liveInput, stray] = [await put('old input'), await put('shared input'), await put('live input'), await put('stray')];
    const agent = fx.client(o, { name: 'worker', behaviour: 'manual' });
    await agent.connect();
    const ended = (await submitGraph(o, { ops: [{ id: 'a', name: 'zkp-singleton', params: { w: { blob: oldInput }, k: { blob: sharedInput } } }] })).body.id;
    const task = (await agent.next((m) => m.type === 'assign')) as any;
    await agent.resultWith(task, [{ name: 'proof.json', data: Buffer.from('the proof') }]);
    await waitUntil(async () => (await getJson(o, `/v1/graphs/${ended}`)).body.status === 'done');
    const output = sha('the proof');

    now += 1.5 * day;
    // Still running at the cut-off: a graph that shares a blob with the ended one, and one with an old input.
    const running = (await submitGraph(o, { ops: [{ id: 'b', name: 'zkp-singleton', params: { k: { blob: sharedInput }, l: { blob: liveInput } } }] })).body.id;
    await agent.next((m) => m.type === 'assign');
    const fresh = await put('fresh upload');
    await put('stray'); // uploaded again: its retention starts over
    expect(await o.expire()).toEqual({ graphs: 0, blobs: 0 });

    now += 1 * day;
    expect(await o.expire()).toEqual({ graphs: 1, blobs: 2 });
    expect((await getJson(o, `/v1/graphs/${ended}`)).status).toBe(404);
    expect((await getJson(o, '/v1/graphs')).body.map((g: any) => g.id)).toEqual([running]);
    for (const gone of [oldInput, output]) {
      expect((await fetch(`${o.url}/v1/blobs/${gone}`)).status).toBe(404);
      expect(existsSync(file(gone))).toBe(false);
    }
    for (const kept of [sharedInput, liveInput, fresh, stray]) expect(await (await fetch(`${o.url}/v1/blobs/${kept}`)).text()).not.toBe('');
    expect((await getJson(o, `/v1/graphs/${running}`)).body.status).toBe('running');
    // A restart (the sweep runs at start) keeps the same answer.
    await fx.stop(o);
    const again = await fx.oracle({ dataDir, retentionDays: 2, clock: { now: () => now } });
    expect(await again.expire()).toEqual({ graphs: 0, blobs: 0 });
    expect((await getJson(again, `/v1/graphs/${running}`)).status).toBe(200);
  });

  it('an oracle database from before retention gains the blob references of the graphs it holds', async () => {
    const dataDir = fx.tempDir();
    const o = await fx.oracle({ dataDir });
    const input = Buffer.from('kept input');
    await fetch(`${o.url}/v1/blobs/${sha(input)}`, { method: 'PUT', body: input });
    const agent = fx.client(o, { name: 'worker', behaviour: 'manual' });
    await agent.connect();
    const id = (await submitGraph(o, { ops: [{ id: 'a', name: 'zkp-singleton', params: { nested: [{ w: { blob: sha(input) } }] } }] })).body.id;
    await agent.resultWith((await agent.next((m) => m.type === 'assign')) as any, [{ name: 'out', data: Buffer.from('output') }]);
    await waitUntil(async () => (await getJson(o, `/v1/graphs/${id}`)).body.status === 'done');
    const refs = (db: any) => db.prepare('SELECT graph_id, sha256 FROM blob_refs ORDER BY sha256').all();
    const expected = [sha(input), sha('output')].sort().map((sha256) => ({ graph_id: id, sha256 }));
    expect(refs(o.store.db)).toEqual(expected);
    o.store.db.exec('DROP TABLE blob_refs; DROP INDEX graphs_ended; DROP INDEX blobs_created; PRAGMA user_version = 4');
    await fx.stop(o);
    const upgraded = await fx.oracle({ dataDir });
    expect(upgraded.store.db.pragma('user_version', { simple: true })).toBe(5);
    expect(refs(upgraded.store.db)).toEqual(expected);
  });

  it('holds a GPU op until a matching device registers', async () => {
    const o = await fx.oracle();
    await fx.client(o, { name: 'cpu-only' }).connect();
    const gpuOp = { id: 'g', name: 'zkp-singleton', requirements: { gpu: { vendor: 'nvidia', count: 1, minMemoryMB: 40000, minComputeCapability: '8.0' } } };
    const { body } = await submitGraph(o, { ops: [gpuOp] });
    expect(body.warnings).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJson(o, `/v1/graphs/${body.id}`)).body.ops[0].status).toBe('ready');
    const small = { vendor: 'NVIDIA', model: 'A10', memoryMB: 24000, driver: '550', computeCapability: '8.6', uuid: null, pciBusId: null };
    await fx.client(o, { name: 'small-gpu', device: fakeDevice({ gpus: [small] }) }).connect();
    const big = fx.client(o, { name: 'big-gpu', device: fakeDevice({ gpus: [{ ...small, model: 'H100', memoryMB: 81559, computeCapability: '9.0' }] }) });
    await big.connect();
    const g = await waitUntil(async () => {
      const doc = (await getJson(o, `/v1/graphs/${body.id}`)).body;
      return doc.status === 'done' ? doc : undefined;
    });
    expect(g.ops[0].deviceIds).toEqual([big.proverId]);
  });
});
