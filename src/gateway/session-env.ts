/**
 * The environment a session passes to the target (SPEC §2.2): LANG, LC_* and TERM only,
 * and at most MAX_SESSION_ENV variables, as sshd's session.c allows, so a client that
 * sends env requests without end holds no more than that.
 */
export const MAX_SESSION_ENV = 128;

export function isForwardedEnv(name: string): boolean {
  return name === 'LANG' || name === 'TERM' || name.startsWith('LC_');
}

/** Adds one `env` request's variable; false when it is refused. */
export function takeEnv(env: Record<string, string>, name: string, value: string): boolean {
  if (!isForwardedEnv(name)) return false;
  if (!Object.hasOwn(env, name) && Object.keys(env).length >= MAX_SESSION_ENV) return false;
  env[name] = value;
  return true;
}
