/** The public plugin API: what a sink plugin needs besides the event types and operators. */
export { API_VERSION, assertPluginCompatible, declaredApiVersion, isApiCompatible, parseApiVersion, type PluginCommandInfo } from './api-version.js';
export { createLogger, errorMessage, secretForms, type SinkLogger } from './logger.js';
export { SinkError, backoffDelay, isRetryable, withRetry, type RetryOptions } from './retry.js';
export { SinkCommand, sinkArgs, sinkFlags, type SinkFlagValues } from './sink-command.js';
export { runSinkPipeline, type SinkPipelineOptions, type SinkPipelineResult } from './sink-pipeline.js';
