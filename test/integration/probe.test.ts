/**
 * The hardware probe on this machine, and with its sources made to fail:
 * a throwing reader, a hanging one, an nvidia-smi that exits non-zero.
 * nvidia-smi and the Docker daemon are stood in for by real processes and a
 * real socket, so the parsing is exercised without the hardware.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/probe/index.js';
import { DeviceDescriptorSchema } from '../../src/protocol/index.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'galactic-probe-'));
const servers: Server[] = [];
afterAll(() => {
  servers.forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('probe', () => {
  it('describes this machine and validates against the schema', async () => {
    const d = await probe();
    expect(() => DeviceDescriptorSchema.parse(d)).not.toThrow();
    expect(d.cpu?.logicalCores).toBe(cpus().length);
    expect(d.os?.arch).toBe(process.arch);
    expect(d.memory?.totalMB).toBeGreaterThan(0);
    expect(d.backends).toContainEqual({ name: 'cpu', available: true });
    expect(d.problems).toEqual([]);
  });

  it('names the sources it could not read and keeps the rest', async () => {
    const d = await probe({
      timeoutMs: 300,
      nvidiaSmi: script('nvidia-smi-broken', 'echo "NVIDIA-SMI has failed" >&2; exit 9'),
      sources: {
        cpu: async () => {
          throw new Error('cpuinfo unreadable');
        },
        gpus: () => new Promise(() => {}),  // never answers
      },
    });
    expect(() => DeviceDescriptorSchema.parse(d)).not.toThrow();
    expect(d.cpu).toBeNull();
    expect(d.os).not.toBeNull();
    expect(d.memory).not.toBeNull();
    expect(d.problems.map((p) => p.source).sort()).toEqual(['cpu', 'gpus', 'nvidia-smi']);
    expect(d.problems.find((p) => p.source === 'gpus')?.message).toMatch(/longer than 300 ms/);
    expect(d.problems.find((p) => p.source === 'nvidia-smi')?.message).toMatch(/nvidia-smi failed/);
  });

  it('reads NVIDIA GPUs from nvidia-smi', async () => {
    const smi = script(
      'nvidia-smi',
      `echo "NVIDIA H100 80GB HBM3, 81559, 570.86.15, 9.0, GPU-5c1b2f6e-0000-1111-2222-333344445555, 00000000:19:00.0"
echo "NVIDIA H100 80GB HBM3, 81559, 570.86.15, 9.0, GPU-5c1b2f6e-0000-1111-2222-333344446666, 00000000:3B:00.0"`,
    );
    const d = await probe({ nvidiaSmi: smi, sources: { gpus: async () => [] } });
    expect(d.gpus).toHaveLength(2);
    expect(d.gpus[1]).toEqual({
      vendor: 'NVIDIA',
      model: 'NVIDIA H100 80GB HBM3',
      memoryMB: 81559,
      driver: '570.86.15',
      computeCapability: '9.0',
      uuid: 'GPU-5c1b2f6e-0000-1111-2222-333344446666',
      pciBusId: '00000000:3B:00.0',
    });
  });

  it('reports a Docker daemon that answers on its socket, and one that does not', async () => {
    const socket = join(dir, 'docker.sock');
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/version' ? JSON.stringify({ Version: '28.2.2', ApiVersion: '1.50' }) : '{}');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    expect((await probe({ dockerSocket: socket })).docker).toEqual({ available: true, version: '28.2.2' });
    const absent = await probe({ dockerSocket: join(dir, 'missing.sock') });
    expect(absent.docker.available).toBe(false);
    expect(absent.docker.reason).toMatch(/no Docker daemon/);
    expect(absent.problems).toEqual([]);  // an absent daemon is a fact, not a failure to read
  });
});

describe('probe options', () => {
  it('rejects bad options with a GalacticError', async () => {
    await expect(probe({ timeoutMs: -5 })).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(probe({ nvidiaSmi: 7 as never })).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(probe('x' as never)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
  });
});

describe('galactic probe', () => {
  const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

  it('--json prints a valid descriptor; the default is a readable table', async () => {
    const { stdout } = await run(process.execPath, [bin, 'probe', '--json']);
    expect(() => DeviceDescriptorSchema.parse(JSON.parse(stdout))).not.toThrow();
    const table = (await run(process.execPath, [bin, 'probe'])).stdout;
    expect(table).toMatch(/^CPU\s+/m);
    expect(table).toMatch(/^Backend cpu\s+available/m);
    expect((await run(process.execPath, [bin, 'probe', '--help'])).stdout).toMatch(/--json/);
  });
});
