/**
 * Every dependency with an install script has a decision in package.json's
 * allowScripts: npm 12 skips the scripts of those without one, so a new
 * native dependency would otherwise install without its build.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

describe('allowScripts', () => {
  it('decides every locked dependency that has an install script, and nothing else', () => {
    const lock = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const decided = Object.keys((read('package.json') as { allowScripts?: Record<string, boolean> }).allowScripts ?? {});
    expect(new Set(decided)).toEqual(new Set(withScripts));
  });

  it('approves the native build the agent cannot run without', () => {
    expect(read('package.json').allowScripts['better-sqlite3']).toBe(true);
  });
});
