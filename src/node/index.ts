export { startNode, type NodeOptions, type RunningNode } from './node.ts';
export { capOf } from './build-pools.ts';
export { loadConfigFile, parseConfigText, parseConfigValue, type ConfigEnvironment } from './config-load.ts';
export { configSchema, STRATEGIES, type Config } from './config-schema.ts';
export { createLogger, type Logger, type LogFormat } from './logger.ts';
export { checkLoginTarget, saveLogin } from './save-login.ts';
