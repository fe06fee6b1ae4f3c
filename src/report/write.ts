/**
 * Writing the report to disk: through a temporary file in the same
 * directory and a rename, so a reader (or a browser reload) never sees a
 * half-written report and a failed run leaves the previous one in place.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StracectlError } from '../errors.js';
import type { TraceSession } from '../session.js';
import { renderReport, type ReportMeta } from './render.js';

function failure(file: string, error: unknown): StracectlError {
  const { code, message } = error as NodeJS.ErrnoException;
  const reason = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : message;
  return new StracectlError('OUTPUT_FAILED', `cannot write ${file}: ${reason}`, { cause: error });
}

/**
 * Fails early (before a long trace is read) when `file` cannot be written:
 * its directory is missing or read-only, or it is a directory.
 */
export async function checkReportTarget(file: string): Promise<void> {
  const target = path.resolve(file);
  try {
    const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (existing?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await access(path.dirname(target), constants.W_OK | constants.X_OK);
  } catch (error) {
    throw failure(file, error);
  }
}

/**
 * Renders the session and replaces `file` with the report atomically.
 * Resolves with the number of bytes written; rejects with OUTPUT_FAILED.
 *
 * @example await writeReport('report.html', session, { title: 'build', generatedAt: new Date().toISOString() });
 */
export async function writeReport(file: string, session: TraceSession, meta: ReportMeta): Promise<number> {
  const html = renderReport(session, meta);
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, html, 'utf8');
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw failure(file, error);
  }
  return Buffer.byteLength(html, 'utf8');
}
