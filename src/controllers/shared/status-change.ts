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
  if (canonicalJson(before) === canonicalJson(next)) return 'none';
  return canonicalJson(essential(before, minorFields)) === canonicalJson(essential(next, minorFields)) ? 'minor' : 'real';
}
