/**
 * stracectl's public API (`import … from 'stracectl'`), what plugins build
 * on: the event and stats types, the stream operators, the stats and
 * session models, the knowledge base, and the plugin API (the sink command
 * base class). Semver'd by `API_VERSION`; see docs/plugins.md.
 */

// Records that flow between stages.
export {
  CATEGORIES,
  isMetaRecord,
  isStatsRecord,
  isSyscallEvent,
  serializeRecord,
  validateRecord,
  type Category,
  type LostRecord,
  type MetaRecord,
  type StatsRecord,
  type SyscallEvent,
  type TraceRecord,
} from './event.js';

// Errors and exit statuses.
export { ERROR_CATALOG, EXIT, StracectlError, diagnostic, printable, type ErrorCode } from './errors.js';
export { formatDuration, parseDuration } from './duration.js';

// Operators: one RxJS stage each.
export { parseStrace, type ParseStraceOptions } from './operators/parseStrace.js';
export { decodeRecords, type DecodeRecordsOptions } from './operators/decodeRecords.js';
export { normalize, normalizeEvent } from './operators/normalize.js';
export { filterEvents, eventPredicate, type FilterEventsOptions } from './operators/filterEvents.js';
export { aggregate, type AggregateOptions } from './operators/aggregate.js';

// Streaming statistics and the live session model.
export { LatencyHistogram, StatsAccumulator, sortStats, GROUP_FIELDS, SORT_KEYS, type GroupField, type SortKey } from './stats.js';
export { TraceSession, RingBuffer, type SessionOptions, type SyscallDetail } from './session.js';

// Knowledge base and triage.
export { lookup, listEntries, isKnown, suggest, type KbEntry } from './kb/index.js';
export { aliasesOf, canonicalName, categoryOf } from './kb/aliases.js';
export { triage, rowSeverity, RED_ERROR_PCT, YELLOW_AVG_NS, type Hint, type HintId, type Severity, type TriageInput } from './kb/triage.js';

// Commands and pipelines, for plugins that add filters rather than sinks.
export { BaseCommand, StreamCommand, readRecords, strictFlag, type ReadRecordsOptions } from './command.js';
export { runPipeline, type PipelineContext, type PipelineOptions } from './io.js';

// The plugin API.
export * from './plugins/index.js';
