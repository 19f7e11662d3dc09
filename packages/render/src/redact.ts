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
    return arg.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]+)@/gi, '$1$2:******@');
  });
}

/** A printable, redacted, shell-quoted command line. */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...redactArgs(args)]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
