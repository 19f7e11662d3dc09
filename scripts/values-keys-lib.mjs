/**
 * Helpers shared by the values/schema/template keys checks (scripts/chart-values-keys.mjs and
 * charts/argocd-understack/tests/keys/values-keys.mjs). Pure functions, no dependencies.
 */

/**
 * The schema node of a property path, or undefined when the schema does not declare it; `{ open: true }` below an
 * object whose `additionalProperties` is a schema (a map of free-form keys such as labels).
 */
export function schemaAt(schema, keys) {
  let node = schema;
  for (const k of keys) {
    if (node?.properties && Object.hasOwn(node.properties, k)) node = node.properties[k];
    else if (node && typeof node.additionalProperties === 'object') return { open: true };
    else return undefined;
  }
  return node;
}

/** Whether the key on 1-based `line` of `lines` has a comment: at the end of its line or on the line(s) before it. */
export function documented(lines, line) {
  if (/\s#\s/.test(lines[line - 1] ?? '')) return true;
  for (let i = line - 2; i >= 0; i--) {
    const l = lines[i].trim();
    if (l === '') continue;
    return l.startsWith('#');
  }
  return false;
}
