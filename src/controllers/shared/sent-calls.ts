// What this process itself created or sent for a resource, by resource uid, kept in memory only. A step that
// would otherwise look in the cloud for an object a lost answer may have made reads here first: when this
// process made the objects the next creating call is built from (snapshots, a bundle task), no earlier process
// can have sent that call, and this process knows whether it did. After a restart the ledger is empty, so the
// steps look in the cloud as before. Bounded, oldest first out.
const MAX_RESOURCES = 10_000;

export class SentCalls {
  private readonly byUid = new Map<string, Set<string>>();

  /** Records that this process made the object `what` (an id) or sent the call `what` (an action name). */
  note(uid: string | undefined, what: string): void {
    if (!uid) return;
    const set = this.byUid.get(uid) ?? new Set<string>();
    this.byUid.delete(uid);
    this.byUid.set(uid, set.add(what));
    if (this.byUid.size > MAX_RESOURCES) this.byUid.delete(this.byUid.keys().next().value!);
  }

  has(uid: string | undefined, what: string | undefined): boolean {
    return !!uid && !!what && !!this.byUid.get(uid)?.has(what);
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
  }
}
