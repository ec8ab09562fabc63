/**
 * Builds a plugin image with no registry and no `docker build`: a root
 * filesystem holding node (and the shared libraries it links), this
 * package's built files and the npm packages the plugin needs, written as a
 * `docker load` tarball (one layer, a config, a manifest). The image id is
 * the sha256 of the config, so the same inputs give the same pinned image.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GalacticError } from '../errors.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = '/app';

export interface ImageRecipe {
  /** Image name: `galactic/<name>`. */
  name: string;
  version: string;
  /** The plugin's entry script, relative to the package root. */
  entry: string;
  /** npm packages it needs besides the SDK's (resolved with their dependencies). */
  dependencies?: string[];
  /** More files or directories to include, relative to the package root. */
  files?: string[];
}

export interface BuiltImage {
  tarball: string;
  /** sha256 of the tarball, for verifying a download. */
  sha256: string;
  /** `sha256:…`, the image id once loaded. */
  imageId: string;
  /** `galactic/<name>@sha256:…`: the reference to pin in a catalog. */
  ref: string;
  tag: string;
}

/** The sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The directory of `name` as Node would resolve it from `fromDir`. */
function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new GalacticError('GAL_ERR_CONFIG', `Expected the npm package ${name} to be installed but it is not found from ${fromDir}`);
  }
}

/** Every package directory `names` need, their dependencies included. */
function dependencyClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string, fromDir: string) => {
    const dir = packageDir(name, fromDir);
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  for (const name of names) visit(name, PACKAGE_ROOT);
  return [...seen];
}

/** The shared libraries a binary loads, from ldd. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/[^\s]+)/g)].map((m) => m[1]!).filter((p) => existsSync(p));
}

export async function buildPluginImage(recipe: ImageRecipe, outDir: string): Promise<BuiltImage> {
  if (!existsSync(join(PACKAGE_ROOT, 'dist'))) throw new GalacticError('GAL_ERR_CONFIG', 'Expected the built package (dist/) but it is missing: run npm install');
  const staging = mkdtempSync(join(tmpdir(), 'galactic-image-'));
  try {
    const rootfs = join(staging, 'rootfs');
    const put = (from: string, to: string) => {
      mkdirSync(dirname(join(rootfs, to)), { recursive: true });
      cpSync(from, join(rootfs, to), { recursive: true, dereference: true });
    };
    put(process.execPath, '/usr/local/bin/node');
    for (const lib of sharedLibraries(process.execPath)) put(lib, lib);
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: `galactic-plugin-${recipe.name}`, version: recipe.version, type: 'module', private: true }));
    put(join(staging, 'package.json'), `${APP}/package.json`);
    for (const path of ['dist', recipe.entry, ...(recipe.files ?? [])]) put(join(PACKAGE_ROOT, path), `${APP}/${path}`);
    const addon = join(PACKAGE_ROOT, 'build/Release/galactic_cpu.node');
    if (existsSync(addon)) put(addon, `${APP}/build/Release/galactic_cpu.node`);
    for (const dir of dependencyClosure(['@grpc/grpc-js', ...(recipe.dependencies ?? [])]))
      put(dir, `${APP}/${relative(PACKAGE_ROOT, dir)}`);

    const image = join(staging, 'image');
    mkdirSync(image);
    const layer = join(image, 'layer.tar');
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '--sort=name', '-C', rootfs, '-cf', layer, '.']);
    const diffId = await sha256File(layer);
    mkdirSync(join(image, diffId));
    renameSync(layer, join(image, diffId, 'layer.tar'));
    const config = JSON.stringify({
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: {
        Entrypoint: ['/usr/local/bin/node', `${APP}/${recipe.entry}`],
        WorkingDir: APP,
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
        Labels: { 'io.galactic.plugin': recipe.name, 'io.galactic.version': recipe.version },
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    });
    const configId = createHash('sha256').update(config).digest('hex');
    writeFileSync(join(image, `${configId}.json`), config);
    const tag = `galactic/${recipe.name}:${recipe.version}`;
    writeFileSync(join(image, 'manifest.json'), JSON.stringify([{ Config: `${configId}.json`, RepoTags: [tag], Layers: [`${diffId}/layer.tar`] }]));
    mkdirSync(outDir, { recursive: true });
    const tarball = join(outDir, `${recipe.name}-${recipe.version}.tar`);
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '--sort=name', '-C', image, '-cf', tarball, '.']);
    return { tarball, sha256: await sha256File(tarball), imageId: `sha256:${configId}`, ref: `galactic/${recipe.name}@sha256:${configId}`, tag };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
