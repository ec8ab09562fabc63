/** Proving plugins (DESIGN §5): the RPC contract, drivers, and the host that runs tasks through them. */
export * from './proto.js';
export { PluginClient } from './client.js';
export * from './drivers/types.js';
export { ProcessDriver } from './drivers/process.js';
export { PluginHost, type PluginHostOptions, type PluginRegistration, type TaskOutcome, type TaskRequest } from './host.js';
export { DockerDriver, LABEL_AGENT, LABEL_PLUGIN, type DockerDriverOptions } from './drivers/docker.js';
export { buildPluginImage, type BuiltImage, type ImageRecipe } from './image.js';
export { listRecipes, processCommand, recipe } from './recipes.js';
