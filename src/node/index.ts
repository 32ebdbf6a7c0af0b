export { startNode, type NodeOptions, type RunningNode } from './node.ts';
export { capOf } from './build-pools.ts';
export { loadConfigFile, parseConfigText, parseConfigValue, type ConfigEnvironment } from './config-load.ts';
export { configSchema, STRATEGIES, type Config } from './config-schema.ts';
export { ADMIN_ACTIONS, isAdminAction, type AdminAction, type AdminAnswer } from './admin-actions.ts';
export { createLogger, type Logger, type LogFormat } from './logger.ts';
