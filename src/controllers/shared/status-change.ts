// Whether a new status is worth an API-server write. A change of phase, of observedGeneration, of any condition's
// presence, status or reason, or of any field a kind does not declare minor is what users, kubectl, kstatus and
// Argo CD act on: it is written in the pass that makes it. Minor changes (condition messages, progress, the ids
// and states of objects in flight that the owner tag finds again) ride along with the next such write, so a flow
// costs a handful of writes however long it polls.
export type StatusChange = 'none' | 'minor' | 'real';

/**
 * JSON with keys sorted and null or undefined fields left out: the status as the API server returns it (a merge
 * patch removes null fields, and the server may order keys its own way) compares equal to the one written.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/**
 * Whether two JSON trees have the same canonicalJson, without building it: the check runs for every resource on
 * every pass (10,000 finished captures at start), where two sorted serialisations cost ten times this walk.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // In an array JSON writes undefined as null.
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let fields = 0;
  for (const k in x) {
    if (x[k] === null || x[k] === undefined) continue;
    fields++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== null && y[k] !== undefined) fields--;
  return fields === 0;
}

/** The status without what may wait: the minor fields and the conditions' messages. */
function essential(status: object, minorFields: readonly string[]): unknown {
  const copy: Record<string, unknown> = { ...status };
  for (const f of minorFields) delete copy[f];
  if (Array.isArray(copy.conditions)) {
    copy.conditions = (copy.conditions as Array<Record<string, unknown>>)
      .map(({ message: _message, ...rest }) => rest)
      .sort((a, b) => String(a.type).localeCompare(String(b.type)));
  }
  return copy;
}

/** How `next` differs from the status last stored (`stored`, as the API server has it). */
export function statusChange(stored: object | undefined, next: object, minorFields: readonly string[] = ['progress']): StatusChange {
  const before = stored ?? {};
  if (sameJson(before, next)) return 'none';
  return sameJson(essential(before, minorFields), essential(next, minorFields)) ? 'minor' : 'real';
}
