/** The console's calls to the HTTP API: JSON in and out, the CSRF token on every change. */

export type AdminLevel = 'none' | 'read' | 'write';
export interface Me { user: string; admin: AdminLevel; csrfToken: string }

let csrfToken = '';
/** Whether the gateway offers single sign-on (told with the 401 of a signed-out GET /session). */
export let ssoAvailable = false;

export class ApiFailure extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const message = (parsed as { error?: string } | null)?.error ?? `${response.status} ${response.statusText}`;
    throw new ApiFailure(response.status, message, parsed);
  }
  return parsed as T;
}

export async function whoAmI(): Promise<Me | null> {
  try {
    const me = await api<Me & { kind: string }>('GET', '/session');
    csrfToken = me.csrfToken;
    return me;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) {
      ssoAvailable = (error.body as { sso?: boolean } | null)?.sso === true;
      return null;
    }
    throw error;
  }
}

export async function signIn(user: string, password: string, totp: string): Promise<Me> {
  const me = await api<Me>('POST', '/session', { user, password, ...(totp ? { totp } : {}) });
  csrfToken = me.csrfToken;
  return me;
}

export async function signOut(): Promise<void> {
  await api('DELETE', '/session');
  csrfToken = '';
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
