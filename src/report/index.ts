/**
 * The HTML report. `top --report` and `serve --report` hold a ReportSession
 * (a TraceSession that also records calls over time) and call `writeReport`
 * when they finish.
 */
export { renderReport, REPORT_LIMITS, type ReportMeta } from './render.js';
export { writeReport, checkReportTarget } from './write.js';
export { ReportSession, CallTimeline, type TimeBucket } from './timeline.js';
export { escapeHtml, jsonForScript } from './escape.js';
