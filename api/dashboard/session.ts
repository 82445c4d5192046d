/**
 * The dashboard's session: a cookie holding the signed-in API key's id and an expiry, signed with
 * HMAC-SHA256 under `DASHBOARD_SESSION_SECRET`. The key itself is never stored in the cookie; its id is
 * looked up on every request, so revoking the key signs its sessions out at once.
 */
import { hmacHex, verifyHmacHex } from "../../domain/core/hmac.ts";

export const sessionCookieName = "lr_dashboard";
/** 12 hours: a working day, after which the key is asked for again. */
export const sessionSeconds = 12 * 60 * 60;

const attributes = "Path=/dashboard; HttpOnly; Secure; SameSite=Strict";

export interface Session {
  apiKeyId: number;
  /** Unix seconds. */
  expiresAt: number;
}

/** `<key id>.<expiry, unix seconds>.<hex HMAC of the two>`. */
export async function signSession(secret: string, session: Session): Promise<string> {
  const payload = `${session.apiKeyId}.${session.expiresAt}`;
  return `${payload}.${await hmacHex(secret, `dashboard-session:${payload}`)}`;
}

/** The session a cookie value carries, or null when it is malformed, forged or expired. */
export async function readSession(secret: string, value: string, now: Date): Promise<Session | null> {
  const match = /^([1-9][0-9]{0,15})\.([1-9][0-9]{0,11})\.([0-9a-f]{64})$/.exec(value);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const payload = `${match[1]}.${match[2]}`;
  if (!(await verifyHmacHex(secret, `dashboard-session:${payload}`, match[3]))) return null;
  const session = { apiKeyId: Number(match[1]), expiresAt: Number(match[2]) };
  return session.expiresAt * 1000 > now.getTime() ? session : null;
}

/** The Set-Cookie of a new session. */
export const sessionCookie = (value: string): string =>
  `${sessionCookieName}=${value}; Max-Age=${sessionSeconds}; ${attributes}`;

/** The Set-Cookie that ends a session. */
export const clearedSessionCookie = `${sessionCookieName}=; Max-Age=0; ${attributes}`;

/** The session cookie's value in a Cookie header, if any. */
export function sessionCookieValue(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === sessionCookieName) return rest.join("=");
  }
  return null;
}

/**
 * Whether a POST comes from the dashboard's own pages: its Origin is this origin (browsers send it on every
 * form POST), or, without one, Fetch Metadata says same-origin. Together with SameSite=Strict this refuses
 * cross-site form posts, the sign-in included (login CSRF).
 */
export function sameOrigin(
  requestUrl: string,
  origin: string | undefined,
  fetchSite: string | undefined,
): boolean {
  if (origin !== undefined) return origin === new URL(requestUrl).origin;
  return fetchSite === "same-origin";
}
