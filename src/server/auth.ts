/**
 * Token checks for `serve`. The token arrives as `Authorization: Bearer …`
 * (API clients, Prometheus) or, for the browser, as a cookie that the
 * dashboard gets by opening `/?token=…` once (a browser cannot put a header
 * on a WebSocket handshake). Every comparison is constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'stracectl_session';

/** Hashing both sides first makes the compare constant-time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time equality of a presented secret and the expected one. */
export function secretEquals(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The cookie value derived from the token, so the token itself never sits in
 * the browser's cookie jar.
 */
export function sessionCookieValue(token: string): string {
  return createHmac('sha256', token).update('stracectl dashboard session').digest('base64url');
}

/** The bearer credential of an Authorization header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Does this request carry the token (header) or the dashboard session (cookie)? */
export function isAuthorized(token: string, headers: { authorization?: string; cookie?: string }): boolean {
  const bearer = bearerToken(headers.authorization);
  // Always run both compares so timing does not reveal which credential was present.
  const headerOk = secretEquals(bearer ?? '', token) && bearer !== undefined;
  const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
  const cookieOk = secretEquals(cookie ?? '', sessionCookieValue(token)) && cookie !== undefined;
  return headerOk || cookieOk;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Is this a loopback bind address (where Host-header checks guard against DNS rebinding)? */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host name of a Host header value (`127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `[::1]`). */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}
