/** Identifier quoting for every piece of SQL we build: user-supplied names are never interpolated raw. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` → `"schema"."table"`; each part quoted on its own. */
export function quoteQualified(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** A string literal for the rare places parameters cannot be used (DDL defaults, COPY options). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('literal contains a NUL byte');
  const escaped = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${escaped.replace(/\\/g, '\\\\')}'` : `'${escaped}'`;
}

/**
 * Splits `schema.table` (with optional double quotes around either part) into its two parts.
 * Returns undefined schema when only a table name is given.
 */
export function parseQualifiedName(fqn: string): { schema: string | undefined; name: string } {
  const parts: string[] = [];
  let i = 0;
  const s = fqn.trim();
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      while (j < s.length) {
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += s[j];
        j++;
      }
      if (j >= s.length) throw new Error(`unterminated quoted identifier in "${fqn}"`);
      parts.push(part);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      parts.push(s.slice(i, j));
      i = j;
    }
    if (i < s.length) {
      if (s[i] !== '.') throw new Error(`unexpected character in "${fqn}"`);
      i++;
      if (i >= s.length) throw new Error(`trailing dot in "${fqn}"`);
    }
  }
  if (parts.length === 0 || parts.length > 2 || parts.some((p) => p.length === 0)) {
    throw new Error(`"${fqn}" is not a valid [schema.]table name`);
  }
  return parts.length === 2 ? { schema: parts[0], name: parts[1]! } : { schema: undefined, name: parts[0]! };
}
