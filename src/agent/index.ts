/** The prover agent (DESIGN §5–§6). */
export { Agent, EXIT_CODES, type AgentState } from './agent.js';
export { AgentConfigSchema, configFromEnv, parseAgentConfig, type AgentConfig, type AgentConfigInput } from './config.js';
export { backoffDelay } from './link.js';
export { queryStatus, serveStatus } from './status.js';
