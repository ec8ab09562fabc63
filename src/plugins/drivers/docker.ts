/**
 * The docker driver: a plugin instance is a container from an image pinned
 * by digest, with least privilege — no network, a read-only root filesystem
 * and a small tmpfs, every capability dropped, no-new-privileges, an
 * unprivileged user, memory/CPU/pid limits, only its socket and work
 * directories mounted, GPUs only when asked — and labels naming the agent,
 * so containers nobody tracks are removed when the driver starts.
 */
import { chownSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { GalacticError } from '../../errors.js';
import { sha256File } from '../image.js';
import { SOCKET_ENV, WORKDIR_ENV } from '../proto.js';
import type { ExitStatus, InstanceHandle, InstanceSpec, InstanceStats, TaskDriver } from './types.js';

export const LABEL_AGENT = 'io.galactic.agent';
export const LABEL_PLUGIN = 'io.galactic.plugin';
const PINNED = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/;
/** The user plugins run as when the agent is root: nobody. */
const NOBODY = 65534;

export interface DockerDriverOptions {
  /** Identifies this agent's containers (labels); orphans with it are reaped. */
  agentId: string;
  socketPath?: string;
  /** Per-container limits when the spec sets none. */
  memoryMB?: number;
  cpus?: number;
  pidsLimit?: number;
  tmpfsMB?: number;
}

export class DockerDriver implements TaskDriver {
  readonly name = 'docker';
  readonly docker: Docker;

  constructor(private readonly options: DockerDriverOptions) {
    this.docker = new Docker({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
  }

  capabilities() {
    return { networkIsolation: true, gpus: true };
  }

  async fingerprint() {
    try {
      await this.docker.ping();
      return { available: true };
    } catch (err) {
      return { available: false, reason: `no Docker daemon: ${(err as Error).message}` };
    }
  }

  /** Removes this agent's containers that nobody tracks (after a crash of the agent): call once at start. */
  async reapOrphans(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_AGENT}=${this.options.agentId}`] } });
    const reaped: string[] = [];
    for (const c of list)
      if (!keep.has(c.Id)) {
        await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
        reaped.push(c.Id);
      }
    return reaped;
  }

  /**
   * Makes a pinned image (`name@sha256:…`) present: already here (by image
   * id or repo digest), else pulled from its registry. Returns the image id.
   */
  async ensureImage(ref: string): Promise<string> {
    const m = PINNED.exec(ref);
    if (!m) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected an image pinned by digest (name@sha256:…) for image but received ${JSON.stringify(ref)}`);
    const local = await this.localImage(ref, m[2]!);
    if (local) return local;
    const stream = await this.docker.pull(ref);
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
    const pulled = await this.localImage(ref, m[2]!);
    if (!pulled) throw new Error(`pulled ${ref} but it is not present`);
    return pulled;
  }

  private async localImage(ref: string, digest: string): Promise<string | null> {
    for (const name of [digest, ref]) {
      try {
        const info = await this.docker.getImage(name).inspect();
        if (info.Id === digest || info.RepoDigests?.some((d) => d.endsWith(`@${digest}`))) return info.Id;
      } catch {
        /* not here under this name */
      }
    }
    return null;
  }

  /** Loads an image tarball (`docker save` format) after checking its sha256; returns what it loaded. */
  async loadTarball(path: string, sha256: string): Promise<void> {
    const actual = await sha256File(path);
    if (actual !== sha256) throw new GalacticError('GAL_ERR_BLOB_HASH', `Expected an image tarball hashing to ${sha256} but ${path} hashes to ${actual}`);
    const stream = await this.docker.loadImage(createReadStream(path));
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  }

  async start(spec: InstanceSpec): Promise<InstanceHandle> {
    if (!spec.image) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected an image for plugin ${spec.plugin} (the docker driver runs images) but received none`);
    const image = await this.ensureImage(spec.image);
    const root = process.getuid?.() === 0;
    if (root) for (const dir of [spec.socketDir, spec.workDir]) chownSync(dir, NOBODY, NOBODY);
    const user = root ? `${NOBODY}:${NOBODY}` : `${process.getuid?.()}:${process.getgid?.()}`;
    const memoryMB = spec.memoryMB ?? this.options.memoryMB ?? 4096;
    const cpus = spec.cpus ?? this.options.cpus;
    const container = await this.docker.createContainer({
      Image: image,
      User: user,
      WorkingDir: spec.workDir,
      Env: Object.entries({ ...spec.env, [SOCKET_ENV]: join(spec.socketDir, 'plugin.sock'), [WORKDIR_ENV]: spec.workDir, HOME: spec.workDir }).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_AGENT]: this.options.agentId, [LABEL_PLUGIN]: spec.plugin },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': `rw,noexec,nosuid,size=${this.options.tmpfsMB ?? 64}m` },
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: memoryMB * 1024 * 1024,
        MemorySwap: memoryMB * 1024 * 1024,
        ...(cpus ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
        PidsLimit: this.options.pidsLimit ?? 512,
        Binds: [`${spec.socketDir}:${spec.socketDir}`, `${spec.workDir}:${spec.workDir}`],
        DeviceRequests: spec.gpus ? [{ Driver: 'nvidia', Count: spec.gpus, Capabilities: [['gpu']] }] : [],
        Init: true,
      },
    });
    await container.start();
    return { driver: this.name, id: container.id, plugin: spec.plugin, socketPath: join(spec.socketDir, 'plugin.sock'), workDir: spec.workDir, startedAt: Date.now() };
  }

  async recover(handle: InstanceHandle): Promise<boolean> {
    return (await this.inspect(handle)).running;
  }

  async wait(handle: InstanceHandle): Promise<ExitStatus> {
    try {
      const { StatusCode } = (await this.docker.getContainer(handle.id).wait()) as { StatusCode: number };
      const state = await this.docker.getContainer(handle.id).inspect().then((i) => i.State).catch(() => null);
      return { code: StatusCode, signal: StatusCode > 128 ? `signal ${StatusCode - 128}` : null, oomKilled: state?.OOMKilled ?? false };
    } catch {
      return { code: null, signal: null };
    }
  }

  async stop(handle: InstanceHandle, timeoutMs: number): Promise<void> {
    await this.docker.getContainer(handle.id).stop({ t: Math.ceil(timeoutMs / 1000) }).catch(() => {});
  }

  async destroy(handle: InstanceHandle): Promise<void> {
    await this.docker.getContainer(handle.id).remove({ force: true }).catch(() => {});
  }

  async inspect(handle: InstanceHandle) {
    try {
      const s = (await this.docker.getContainer(handle.id).inspect()).State;
      return { running: s.Running, exit: s.Running ? null : { code: s.ExitCode, signal: null, oomKilled: s.OOMKilled } };
    } catch {
      return { running: false, exit: null };
    }
  }

  async stats(handle: InstanceHandle): Promise<InstanceStats | null> {
    try {
      const s = (await this.docker.getContainer(handle.id).stats({ stream: false })) as {
        cpu_stats: { cpu_usage: { total_usage: number } };
        memory_stats: { usage?: number };
      };
      return { cpuSeconds: s.cpu_stats.cpu_usage.total_usage / 1e9, memoryBytes: s.memory_stats.usage ?? 0 };
    } catch {
      return null;
    }
  }
}
