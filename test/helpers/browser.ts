/** Headless Debian Chromium through playwright-core: present → use; absent → skip, except under CI. */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumAvailable(): { ok: boolean; reason: string } {
  if (existsSync(CHROMIUM)) return { ok: true, reason: '' };
  const reason = `no ${CHROMIUM} (Debian package chromium)`;
  if (process.env.CI) throw new Error(`${reason}: under CI the browser suites must run (.ci/run installs it)`);
  return { ok: false, reason };
}

/** The flags that keep Chromium off the (closed) network and quiet. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
