/**
 * Redaction of printed command lines: values of credential flags, `key=value` pairs whose key looks secret
 * (`--set db.password=...`), and `user:password@` in URLs become `******`. Kept local (rather than importing
 * `@understack/scripts`' runner) so a warm render does not pay for loading execa at startup.
 */

const SECRET_FLAGS = new Set([
  '--password',
  '--pass',
  '--token',
  '--client-secret',
  '--key-password',
  '--cert-password',
  '--secret',
]);
const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|credential|private[-_]?key)/i;
const SET_FLAGS = new Set(['--set', '--set-string', '--set-json', '--set-literal']);

/** A copy of `args` that is safe to print. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const prev = i > 0 ? args[i - 1]! : '';
    if (SECRET_FLAGS.has(prev)) return '******';
    const eq = arg.indexOf('=');
    if (eq > 0) {
      const key = arg.slice(0, eq);
      if (SECRET_FLAGS.has(key)) return `${key}=******`;
      if ((SET_FLAGS.has(prev) || !key.startsWith('-')) && SECRET_KEY.test(key)) return `${key}=******`;
    }
    return redactUrls(arg);
  });
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:'"]+):([^/@\s'"]+)@/gi;

/** `scheme://user:password@host` -> `scheme://user:******@host`, anywhere in `text`. */
export function redactUrls(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:******@');
}

/**
 * The secret values `redactArgs` hides in `args` (flag values, secret `key=value` values, URL passwords), so a tool's
 * own output (stderr echoing its arguments) can be scrubbed of them too. Values shorter than 3 characters are left
 * out: replacing them would mangle the text without protecting anything guessable.
 */
export function secretValues(args: readonly string[]): string[] {
  const out = new Set<string>();
  args.forEach((arg, i) => {
    const prev = i > 0 ? args[i - 1]! : '';
    if (SECRET_FLAGS.has(prev)) out.add(arg);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      const key = arg.slice(0, eq);
      if (SECRET_FLAGS.has(key) || ((SET_FLAGS.has(prev) || !key.startsWith('-')) && SECRET_KEY.test(key))) {
        out.add(arg.slice(eq + 1));
      }
    }
    for (const m of arg.matchAll(URL_CREDENTIALS)) {
      out.add(m[3]!);
      try {
        out.add(decodeURIComponent(m[3]!));
      } catch {
        // not percent-encoded: the raw form is enough
      }
    }
  });
  return [...out].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** `text` with URL credentials and every given secret value replaced by `******`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let t = redactUrls(text);
  for (const s of secrets) t = t.split(s).join('******');
  return t;
}

/** A printable, redacted, shell-quoted command line. */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...redactArgs(args)]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
