/**
 * The `store` setting as it may be shown. A postgres:// URL may carry a password (in its user
 * part, or as a `password` parameter, which node-postgres also reads): it is a secret (SPEC
 * §10) and never reaches a log line, an error message or command output.
 */

const HIDDEN = '***';

/** The URL with its password replaced by `***`; when it does not parse, everything before the host. */
export function redactStoreUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparseable: the user part cannot be told from the password, so both go.
    return url.replace(/\/\/.*@/s, `//${HIDDEN}@`).replace(/([?&]password=)[^&#]*/gi, `$1${HIDDEN}`);
  }
  if (parsed.password !== '') parsed.password = HIDDEN;
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', HIDDEN);
  return parsed.href;
}

/** The URL's password, as written and as decoded (empty when there is none). */
function passwordsOf(url: string): string[] {
  const found = new Set<string>();
  try {
    const parsed = new URL(url);
    for (const raw of [parsed.password, parsed.searchParams.get('password') ?? '']) {
      if (raw === '') continue;
      found.add(raw);
      try {
        found.add(decodeURIComponent(raw));
      } catch {
        /* not percent-encoded text: the raw form is enough */
      }
    }
  } catch {
    const userInfo = /\/\/(.*)@/s.exec(url)?.[1];
    const colon = userInfo?.indexOf(':') ?? -1;
    if (userInfo !== undefined && colon >= 0 && colon < userInfo.length - 1) found.add(userInfo.slice(colon + 1));
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** A text (a driver's error message) with the store URL's password taken out wherever it appears. */
export function hideStorePassword(text: string, url: string): string {
  let hidden = text.split(url).join(redactStoreUrl(url));
  for (const password of passwordsOf(url)) hidden = hidden.split(password).join(HIDDEN);
  return hidden;
}
