/**
 * A small matcher for `domain.entity.action` patterns, private to the feeds until schemas/ publishes the
 * shared one: `*` matches exactly one segment, `**` any number of segments (including none), anything
 * else matches literally. `social.post.*` matches `social.post.created`; `*.*.liked` and `**.liked`
 * match `social.post.liked`.
 */
export class EventNamePatterns {
  readonly #compiled: readonly (readonly string[])[];

  constructor(readonly patterns: readonly string[]) {
    this.#compiled = patterns.map((pattern) => {
      const segments = pattern.split('.');
      if (segments.some((s) => s === '')) throw new Error(`event-name pattern ${JSON.stringify(pattern)} has an empty segment`);
      return segments;
    });
  }

  matches(name: string): boolean {
    const segments = name.split('.');
    return this.#compiled.some((pattern) => matchFrom(pattern, 0, segments, 0));
  }
}

function matchFrom(pattern: readonly string[], p: number, name: readonly string[], n: number): boolean {
  if (p === pattern.length) return n === name.length;
  const segment = pattern[p] as string;
  if (segment === '**') {
    for (let skip = n; skip <= name.length; skip += 1) if (matchFrom(pattern, p + 1, name, skip)) return true;
    return false;
  }
  if (n === name.length) return false;
  return (segment === '*' || segment === name[n]) && matchFrom(pattern, p + 1, name, n + 1);
}
