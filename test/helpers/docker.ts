/** Docker for tests: present → run; absent → skip with a reason, except under CI where it must be there. */
import Docker from 'dockerode';

export async function dockerAvailable(): Promise<{ ok: boolean; reason: string }> {
  try {
    await new Docker({ socketPath: '/var/run/docker.sock' }).ping();
    return { ok: true, reason: '' };
  } catch (err) {
    const reason = `no Docker daemon (${(err as Error).message})`;
    if (process.env.CI) throw new Error(`${reason}: under CI the Docker suites must run (.ci/run starts dockerd)`);
    return { ok: false, reason };
  }
}
