export { startNode, type NodeOptions, type RunningNode } from './node.ts';
export { capOf } from './build-pools.ts';
export { loadConfigFile, parseConfigText, parseConfigValue, type ConfigEnvironment } from './config-load.ts';
export { configSchema, STRATEGIES, type Config } from './config-schema.ts';
export { createLogger, type Logger, type LogFormat } from './logger.ts';
export { ConfigWatch, type ReloadOutcome, type ReloadTrigger } from './config-watch.ts';
export { describeChange, diffConfig, isEmptyChange, type ConfigChange } from './config-diff.ts';
export { ADMIN_CONFIG_PATH, type AdminConfigAnswer } from './admin-config-route.ts';
export { redactConfig } from './config-redact.ts';
