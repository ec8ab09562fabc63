/**
 * Where a worker thread's script is: the compiled file beside the caller in
 * dist/, also when the caller runs from the TypeScript sources (as in the
 * tests), where the worker must still be the compiled one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function compiledWorkerFile(url: URL): string {
  const here = fileURLToPath(url);
  return existsSync(here) ? here : here.replace(/([/\\])src([/\\])(?!.*[/\\]src[/\\])/, '$1dist$2');
}
