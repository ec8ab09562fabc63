/**
 * The process driver: a plugin instance is a local executable in its own
 * process group (so a plugin's children die with it). The embedded default:
 * works wherever the agent runs, with no Docker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GalacticError } from '../../errors.js';
import { SOCKET_ENV, WORKDIR_ENV } from '../proto.js';
import { within } from '../within.js';
import type { ExitStatus, InstanceHandle, InstanceSpec, InstanceStats, TaskDriver } from './types.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class ProcessDriver implements TaskDriver {
  readonly name = 'process';
  private readonly children = new Map<string, { child: ChildProcess; exit: Promise<ExitStatus> }>();

  capabilities() {
    return { networkIsolation: false, gpus: true };
  }

  async fingerprint() {
    return { available: true };
  }

  async start(spec: InstanceSpec): Promise<InstanceHandle> {
    if (!spec.command?.length) throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a command for plugin ${spec.plugin} (the process driver runs executables) but received none`);
    const socketPath = join(spec.socketDir, 'plugin.sock');
    const log = openSync(join(spec.socketDir, 'plugin.log'), 'a', 0o600);
    try {
      const child = spawn(spec.command[0]!, spec.command.slice(1), {
        // Only what a plugin needs: no tokens or keys of the agent leak through the environment.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: spec.workDir, ...spec.env, [SOCKET_ENV]: socketPath, [WORKDIR_ENV]: spec.workDir },
        cwd: spec.workDir,
        detached: true,
        stdio: ['ignore', log, log],
      });
      const exit = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: null, signal: null }));
      });
      if (child.pid === undefined) {
        await exit;
        throw new Error(`plugin ${spec.plugin}: could not start ${spec.command[0]}`);
      }
      const id = String(child.pid);
      this.children.set(id, { child, exit });
      void exit.then(() => this.children.delete(id));
      return { driver: this.name, id, plugin: spec.plugin, socketPath, workDir: spec.workDir, startedAt: Date.now() };
    } finally {
      closeSync(log);
    }
  }

  async recover(handle: InstanceHandle): Promise<boolean> {
    return this.children.has(handle.id) || alive(Number(handle.id));
  }

  wait(handle: InstanceHandle): Promise<ExitStatus> {
    const known = this.children.get(handle.id);
    if (known) return known.exit;
    // Not our child (recovered after a restart): poll.
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (!alive(Number(handle.id))) {
          clearInterval(timer);
          resolve({ code: null, signal: null });
        }
      }, 100);
    });
  }

  private signal(handle: InstanceHandle, signal: NodeJS.Signals): void {
    try {
      process.kill(-Number(handle.id), signal); // the whole group
    } catch {
      /* already gone */
    }
  }

  async stop(handle: InstanceHandle, timeoutMs: number): Promise<void> {
    if (!(await this.recover(handle))) return;
    this.signal(handle, 'SIGTERM');
    const exited = await within(this.wait(handle).then(() => true), timeoutMs, false);
    if (!exited) {
      this.signal(handle, 'SIGKILL');
      await this.wait(handle);
    }
  }

  async destroy(handle: InstanceHandle): Promise<void> {
    await this.stop(handle, 0);
  }

  async inspect(handle: InstanceHandle) {
    const running = await this.recover(handle);
    return { running, exit: null };
  }

  async stats(handle: InstanceHandle): Promise<InstanceStats | null> {
    try {
      const stat = readFileSync(`/proc/${handle.id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
      const rssPages = Number(readFileSync(`/proc/${handle.id}/statm`, 'utf8').split(' ')[1]);
      return { cpuSeconds: ticks / 100, memoryBytes: rssPages * 4096 };
    } catch {
      return null;
    }
  }
}
