/**
 * The agent's local status endpoint: HTTP on a Unix socket in the data
 * directory (`agent.sock`, owner only) — GET /status (JSON) and /metrics —
 * and, when configured, the same on a TCP port for Prometheus.
 *
 * The socket also holds the data directory: a second agent started on it
 * finds the socket answering and refuses, instead of failing the first
 * one's running tasks as its own leftovers.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { GalacticError } from '../errors.js';
import type { Agent } from './agent.js';

export const STATUS_SOCKET = 'agent.sock';

export async function serveStatus(agent: Agent, dataDir: string, metricsPort: number): Promise<() => Promise<void>> {
  const routes = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/status') return send(res, 200, 'application/json', JSON.stringify(agent.status()));
    if (req.url === '/metrics') return send(res, 200, agent.metrics.registry.contentType, await agent.metrics.registry.metrics());
    send(res, 404, 'application/json', JSON.stringify({ error: { code: 'GAL_ERR_NOT_FOUND', message: `No route ${req.url}` } }));
  };
  // A failure here must answer the caller, never reject unhandled (which would end the agent).
  const handler = (req: IncomingMessage, res: ServerResponse) =>
    routes(req, res).catch(() => {
      if (res.headersSent) return void res.destroy();
      send(res, 500, 'application/json', JSON.stringify({ error: { code: 'GAL_ERR_INTERNAL', message: 'internal error reading the agent status' } }));
    });
  const servers: Server[] = [];
  const socket = join(dataDir, STATUS_SOCKET);
  const local = createServer((req, res) => void handler(req, res));
  await listenExclusive(local, socket, dataDir);
  chmodSync(socket, 0o600);
  servers.push(local);
  if (metricsPort) {
    const tcp = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(metricsPort, '127.0.0.1', () => resolve()));
    servers.push(tcp);
  }
  return async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    rmSync(socket, { force: true });
  };
}

/** Listens on `path`, replacing a socket file that nothing answers on (left by a crash); refuses while another agent answers. */
async function listenExclusive(server: Server, path: string, dataDir: string): Promise<void> {
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError).listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    return await listen();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
  }
  const answered = await new Promise<boolean>((resolve) => {
    const probe = connect(path, () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answered)
    throw new GalacticError('GAL_ERR_CONFIG', `Expected no other agent running on the data directory ${dataDir} but one answers on ${path}; stop it first (galactic status --data-dir ${dataDir}) or give this one another --data-dir`);
  rmSync(path, { force: true });
  await listen();
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** GETs a path from a running agent's status socket. */
export function queryStatus(dataDir: string, path = '/status'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dataDir, STATUS_SOCKET), path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
