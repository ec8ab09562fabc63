/** The reference plugins shipped in `plugins/<name>/recipe.json`: how to run each and build its image. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GalacticError } from '../errors.js';
import { PACKAGE_ROOT, type ImageRecipe } from './image.js';

export function listRecipes(): ImageRecipe[] {
  const dir = join(PACKAGE_ROOT, 'plugins');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'recipe.json')))
    .map((name) => JSON.parse(readFileSync(join(dir, name, 'recipe.json'), 'utf8')) as ImageRecipe);
}

export function recipe(name: string): ImageRecipe {
  const found = listRecipes().find((r) => r.name === name);
  if (!found)
    throw new GalacticError('GAL_ERR_INVALID_ARGUMENT', `Expected a plugin name (${listRecipes().map((r) => r.name).join(', ') || 'none here'}) but received ${JSON.stringify(name)}`);
  return found;
}

/** The command that runs a recipe's plugin with the process driver. */
export function processCommand(r: ImageRecipe): string[] {
  return [process.execPath, join(PACKAGE_ROOT, r.entry)];
}
