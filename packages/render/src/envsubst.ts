/**
 * Argo CD's environment substitution: Go's `os.Expand` with a mapping where `$$` stands for a literal `$` and
 * unknown names expand to the empty string. Reimplemented byte for byte so `pa$$wd`, `${NOPE}x` and `$1` behave
 * exactly as they do in the repo-server.
 */

function isShellSpecial(c: string): boolean {
  return '*#$@!?-0123456789'.includes(c);
}

function isAlphaNum(c: string): boolean {
  return /^[A-Za-z0-9_]$/.test(c);
}

/** Go `getShellName`: the variable name after a `$` and how many characters it spans. */
function shellName(s: string): [string, number] {
  if (s[0] === '{') {
    if (s.length > 2 && isShellSpecial(s[1]!) && s[2] === '}') return [s.slice(1, 2), 3];
    for (let i = 1; i < s.length; i++) {
      if (s[i] === '}') {
        if (i === 1) return ['', 2]; // "${}" is bad syntax and is eaten
        return [s.slice(1, i), i + 1];
      }
    }
    return ['', 1]; // unterminated "${" is eaten
  }
  if (isShellSpecial(s[0]!)) return [s.slice(0, 1), 1];
  let i = 0;
  while (i < s.length && isAlphaNum(s[i]!)) i++;
  return [s.slice(0, i), i];
}

/** Go's `os.Expand`. */
export function goExpand(s: string, mapping: (name: string) => string): string {
  let out = '';
  let last = 0;
  let changed = false;
  for (let j = 0; j < s.length; j++) {
    if (s[j] === '$' && j + 1 < s.length) {
      changed = true;
      out += s.slice(last, j);
      const [name, w] = shellName(s.slice(j + 1));
      if (name === '' && w > 0) {
        // invalid syntax: the characters are dropped
      } else if (name === '') {
        out += '$';
      } else {
        out += mapping(name);
      }
      j += w;
      last = j + 1;
    }
  }
  return changed ? out + s.slice(last) : s;
}

/** Argo's `Env.Envsubst`: `$VAR`/`${VAR}` from `env`, unknown -> empty, `$$` -> `$`. */
export function envsubst(s: string, env: Readonly<Record<string, string>>): string {
  return goExpand(s, (name) => (name === '$' ? '$' : (env[name] ?? '')));
}
