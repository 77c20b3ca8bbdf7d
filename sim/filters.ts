// EC2 Filter.N matching: values are ORed, filters ANDed, `*` and `?` are wildcards (Eucalyptus FilterSupport).
import { SimError } from './errors.ts';

export type Filters = Map<string, string[]>;

const patternCache = new Map<string, RegExp>();

export function wildcardToRegExp(value: string): RegExp {
  let re = patternCache.get(value);
  if (!re) {
    const body = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(value, re);
  }
  return re;
}

export function matchesAny(actual: string | undefined | readonly (string | undefined)[], wanted: string[]): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return wanted.some((w) => {
    const re = /[*?]/.test(w) ? wildcardToRegExp(w) : undefined;
    return values.some((v) => v !== undefined && (re ? re.test(v) : v === w));
  });
}

/** Matches the tag filters (`tag:KEY`, `tag-key`, `tag-value`); returns undefined for other names. */
export function matchTagFilter(name: string, wanted: string[], tags: Map<string, string>): boolean | undefined {
  if (name.startsWith('tag:')) return matchesAny(tags.get(name.slice(4)), wanted);
  if (name === 'tag-key') return matchesAny([...tags.keys()], wanted);
  if (name === 'tag-value') return matchesAny([...tags.values()], wanted);
  return undefined;
}

/**
 * Applies the filters to an item: `fields` maps each supported filter name to the item's value(s).
 * An unsupported filter name is a client error, as on EC2.
 */
export function matchFilters<T>(
  item: T & { tags: Map<string, string> },
  filters: Filters,
  fields: Record<string, (item: T) => string | undefined | readonly (string | undefined)[]>,
): boolean {
  for (const [name, wanted] of filters) {
    const tagResult = matchTagFilter(name, wanted, item.tags);
    if (tagResult !== undefined) {
      if (!tagResult) return false;
      continue;
    }
    const field = fields[name];
    if (!field) throw new SimError('InvalidParameterValue', `The filter '${name}' is invalid`);
    if (!matchesAny(field(item), wanted)) return false;
  }
  return true;
}
