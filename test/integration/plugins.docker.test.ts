import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver, PluginHost, buildPluginImage, type BuiltImage } from '../../src/plugins/index.js';
import { dockerAvailable } from '../helpers/docker.js';
import { behaviourTask } from '../helpers/plugins.js';
import { waitUntil } from '../helpers/link-client.js';

const docker = await dockerAvailable();
if (!docker.ok) console.warn(`skipping the Docker plugin suite: ${docker.reason}`);

describe.skipIf(!docker.ok)('docker driver', () => {
  const agentId = `test-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let image: BuiltImage;
  let driver: DockerDriver;
  let host: PluginHost;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gd-'));
    image = await buildPluginImage({ name: 'behaviour', version: '1.0.0', entry: 'test/fixtures/plugins/behaviour.mjs' }, join(dir, 'images'));
    driver = new DockerDriver({ agentId, memoryMB: 256 });
    await driver.loadTarball(image.tarball, image.sha256);
    host = new PluginHost({ baseDir: join(dir, 'p'), stopGraceMs: 1000 });
    host.register({ name: 'behaviour', driver, spec: { image: image.ref }, init: { params: {} } });
  }, 300_000);

  afterAll(async () => {
    await host?.close();
    await driver?.reapOrphans();
    await driver?.docker.getImage(image.imageId).remove({ force: true }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });


  it('refuses a tarball whose hash is not the one given', async () => {
    await expect(driver.loadTarball(image.tarball, '0'.repeat(64))).rejects.toThrow(/hashes to/);
    expect(image.ref).toMatch(/^galactic\/behaviour@sha256:[0-9a-f]{64}$/);
  });

  it.each(['efficient', 'performance'] as const)('proves and ends misbehaviour cleanly, %s mode', async (mode) => {
    const input = join(dir, `input-${mode}.bin`);
    writeFileSync(input, 'file input', { mode: 0o600 });
    const ok = await host.run(behaviourTask(mode, {}, { inputs: [{ name: 'witness', path: input }] }));
    expect(ok.status).toBe('done');
    expect(await host.run(behaviourTask(mode, { behaviour: 'fail' }))).toMatchObject({ status: 'failed', code: 'GAL_ERR_TEST_FAILURE' });
    expect(await host.run(behaviourTask(mode, { behaviour: 'crash' }))).toMatchObject({ status: 'crashed', code: 'GAL_ERR_PLUGIN_CRASHED' });
    expect(await host.run(behaviourTask(mode, { behaviour: 'hang' }, { deadlineMs: Date.now() + 500 }))).toMatchObject({ status: 'timeout', forced: false });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    expect(await host.run(behaviourTask(mode, { behaviour: 'ignore-stop' }, { signal: abort.signal }))).toMatchObject({ status: 'cancelled', forced: true });
    expect((await host.run(behaviourTask(mode, {}))).status).toBe('done');
  });

  it('runs the plugin with no network, a read-only root, no capabilities and no root user', async () => {
    const o = await host.run(behaviourTask('efficient', { behaviour: 'sandbox' }));
    expect(o.status).toBe('done');
    if (o.status !== 'done') return;
    const facts = JSON.parse(o.outputs[0]!.data.toString());
    expect(facts.interfaces).toEqual(['lo']);
    expect(facts.network).not.toBe('connected');
    expect(facts.rootWrite).toBe('EROFS');
    expect(facts.capEff).toBe('0000000000000000');
    expect(facts.noNewPrivs).toBe('1');
    expect(facts.uid).not.toBe(0);
  });

  it('removes containers with its label that nobody tracks', async () => {
    const orphanDir = mkdtempSync(join(dir, 'o-'));
    const [socketDir, workDir] = [join(orphanDir, 's'), join(orphanDir, 'w')];
    for (const d of [socketDir, workDir]) mkdirSync(d);
    const handle = await driver.start({ plugin: 'behaviour', image: image.ref, socketDir, workDir });
    expect((await driver.inspect(handle)).running).toBe(true);
    const reaped = await new DockerDriver({ agentId }).reapOrphans();
    expect(reaped).toContain(handle.id);
    expect((await driver.inspect(handle)).running).toBe(false);
  });

  it('pulls a pinned image from a registry', async () => {
    const port = 5000 + Math.floor(Math.random() * 1000);
    const config = join(dir, 'registry.yml');
    writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\nlog:\n  level: error\n`);
    const registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    try {
      await waitUntil(() => fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false), 15_000, 'registry');
      const repo = `127.0.0.1:${port}/galactic/behaviour`;
      await driver.docker.getImage(image.imageId).tag({ repo, tag: '1.0.0' });
      // An anonymous registry still wants an (empty) auth header.
      const stream = await driver.docker.getImage(`${repo}:1.0.0`).push({ authconfig: { serveraddress: `127.0.0.1:${port}` } } as object);
      let digest = '';
      await new Promise<void>((resolve, reject) =>
        driver.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), (e: { aux?: { Digest?: string } }) => {
          if (e.aux?.Digest) digest = e.aux.Digest;
        }),
      );
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      await driver.docker.getImage(`${repo}:1.0.0`).remove();
      const pinned = `${repo}@${digest}`;
      await expect(driver.docker.getImage(pinned).inspect()).rejects.toThrow();
      expect(await driver.ensureImage(pinned)).toBe(image.imageId);
      await expect(driver.ensureImage(`${repo}:1.0.0`)).rejects.toThrow(/pinned by digest/);
    } finally {
      registry.kill();
    }
  });
});
