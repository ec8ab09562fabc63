/** `galactic oracle` and `galactic agent` as child processes, torn down after each test. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { queryStatus } from '../../src/agent/index.js';
import { waitUntil } from './link-client.js';

export const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export function processFixture() {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  return {
    exited,
    /** `galactic oracle --json`: its start-up line is `info`. */
    async oracle(args: string[]): Promise<{ child: ChildProcess; url: string; info: any }> {
      const child = spawn(process.execPath, [bin, 'oracle', '--json', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`oracle exited with ${code}`)));
      });
      const info = JSON.parse(line);
      return { child, url: info.url, info };
    },
    agent(args: string[], env: Record<string, string> = {}): { child: ChildProcess; stderr: () => string } {
      let stderr = '';
      const child = spawn(process.execPath, [bin, 'agent', '--benchmark', 'skip', '--log-level', 'info', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...env },
      });
      child.stderr!.on('data', (d) => (stderr += d));
      children.push(child);
      return { child, stderr: () => stderr };
    },
    async status(dataDir: string): Promise<any> {
      return JSON.parse(await queryStatus(dataDir));
    },
    async ready(dataDir: string, timeoutMs = 60_000): Promise<any> {
      return waitUntil(async () => {
        try {
          const s = JSON.parse(await queryStatus(dataDir));
          return s.state === 'ready' ? s : undefined;
        } catch {
          return undefined;
        }
      }, timeoutMs, 'agent ready');
    },
  };
}

export async function putBlob(url: string, file: string): Promise<string> {
  const data = readFileSync(file);
  const sha = createHash('sha256').update(data).digest('hex');
  const res = await fetch(`${url}/v1/blobs/${sha}`, { method: 'PUT', body: data });
  if (res.status >= 300) throw new Error(`PUT blob: ${res.status}`);
  return sha;
}

export async function graphDone(url: string, id: string, timeoutMs = 60_000): Promise<any> {
  let last: any = null;
  try {
    return await waitUntil(async () => {
      last = (await (await fetch(`${url}/v1/graphs/${id}`)).json()) as any;
      if (last.status === 'failed' || last.status === 'cancelled') throw new Error(`graph ${last.status}: ${last.error}`);
      return last.status === 'done' ? last : undefined;
    }, timeoutMs, `graph ${id} done`);
  } catch (err) {
    const provers = await fetch(`${url}/v1/provers`).then((r) => r.json(), () => null);
    throw new Error(`${(err as Error).message}\ngraph: ${JSON.stringify(last?.ops?.map((o: any) => [o.id, o.status, o.attempts]))}\nprovers: ${JSON.stringify(provers)}`);
  }
}
