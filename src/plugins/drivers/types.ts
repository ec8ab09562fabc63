/**
 * The driver contract, modelled on Nomad's task drivers: a driver starts
 * plugin instances (a process, a container) and answers for them by handle,
 * also for handles persisted by an earlier agent (`recover`).
 */
export interface InstanceSpec {
  plugin: string;
  /** process driver: the executable and its arguments. */
  command?: string[];
  /** docker driver: `name@sha256:…`. */
  image?: string;
  env?: Record<string, string>;
  /** GPUs to pass (docker: device requests only when > 0). */
  gpus?: number;
  memoryMB?: number;
  cpus?: number;
  /** Host directories: the socket's, and the work directory shared with the plugin at the same path. */
  socketDir: string;
  workDir: string;
}

export interface InstanceHandle {
  driver: string;
  /** Driver-specific id: a pid for process, a container id for docker. */
  id: string;
  plugin: string;
  socketPath: string;
  workDir: string;
  startedAt: number;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  oomKilled?: boolean;
}

export interface InstanceStats {
  cpuSeconds: number;
  memoryBytes: number;
}

export interface DriverCapabilities {
  /** Whether instances can be isolated from the network. */
  networkIsolation: boolean;
  gpus: boolean;
}

export interface TaskDriver {
  readonly name: string;
  capabilities(): DriverCapabilities;
  /** Whether this driver can run here, and why not. */
  fingerprint(): Promise<{ available: boolean; reason?: string }>;
  start(spec: InstanceSpec): Promise<InstanceHandle>;
  /** Re-attaches to an instance from a persisted handle; false when it is gone. */
  recover(handle: InstanceHandle): Promise<boolean>;
  /** Resolves when the instance exits. */
  wait(handle: InstanceHandle): Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(handle: InstanceHandle, timeoutMs: number): Promise<void>;
  /** Kills if needed and removes everything the instance left. */
  destroy(handle: InstanceHandle): Promise<void>;
  inspect(handle: InstanceHandle): Promise<{ running: boolean; exit: ExitStatus | null }>;
  stats(handle: InstanceHandle): Promise<InstanceStats | null>;
}
