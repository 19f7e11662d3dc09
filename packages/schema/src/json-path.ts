/** JSON paths: segments, `a.b[0]["c.d"]` text, and Ajv's JSON-pointer instance paths. Dependency-free. */

/** A JSON path as segments: keys and array indexes. */
export type JsonPath = ReadonlyArray<string | number>;

/** `['spec', 'data', 'ca.crt', 0]` -> `spec.data["ca.crt"][0]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

/** Ajv's `/spec/target/template/data/ca.crt` instance path -> segments. */
export function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}
