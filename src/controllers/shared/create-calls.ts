// The creating calls a resource made or was about to make, recorded in status (the create-pending idea of
// crossplane-runtime): an entry is written BEFORE the call, and the call's result id is added once it returns.
// Status is writable by anyone who may write the resource's status, so each entry is signed (HMAC-SHA256) over the
// resource uid, the call, the parameters that shape its result, the time and the result id, with a key only the
// operator holds (runtime/checkpoint-key.ts). A forged, copied or edited entry does not verify and proves nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CreateCall, CreateCallName } from '../../api/types.ts';

/**
 * How much earlier than a signed call's time a cloud object may say it was made and still be the call's result:
 * Kubernetes timestamps have second precision; clocks of cloud and cluster differ a little.
 */
export const CLOCK_SLACK_MS = 5_000;

export interface VerifiedCall {
  /** When the operator recorded that it was about to make the call. */
  at: Date;
  /** The id the call returned, once known. */
  id?: string;
}

interface Target {
  obj: { metadata: { uid?: string } };
  status: { createCalls?: CreateCall[] };
}

export class CreateCallSigner {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  private sign(uid: string, call: CreateCallName, params: readonly string[], at: string, id: string | undefined): string {
    return createHmac('sha256', this.key).update(JSON.stringify(['eio-create-call/v1', uid, call, params, at, id ?? ''])).digest('hex');
  }

  /** The entry for `call` if the operator wrote it for this resource and these parameters; undefined otherwise. */
  verified(t: Target, call: CreateCallName, params: readonly string[]): VerifiedCall | undefined {
    const entry = t.status.createCalls?.find((c) => c.call === call);
    const uid = t.obj.metadata.uid;
    if (!entry || !uid || typeof entry.signature !== 'string' || Number.isNaN(Date.parse(entry.at))) return undefined;
    const want = Buffer.from(this.sign(uid, call, params, entry.at, entry.id), 'hex');
    const got = Buffer.from(entry.signature, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    return { at: new Date(entry.at), ...(entry.id ? { id: entry.id } : {}) };
  }

  /**
   * Records that `call` is about to be made; an entry that already verifies (a retry of the same call) is kept, so
   * its earlier time still bounds what the call may have made. Returns true when status changed and must be written
   * before the call.
   */
  pending(t: Target, call: CreateCallName, params: readonly string[], now = new Date()): boolean {
    if (this.verified(t, call, params)) return false;
    this.put(t, call, params, now.toISOString(), undefined);
    return true;
  }

  /** Adds the id the call returned (the entry's time stays that of the checkpoint written before the call). */
  succeeded(t: Target, call: CreateCallName, params: readonly string[], id: string, now = new Date()): void {
    const before = this.verified(t, call, params);
    this.put(t, call, params, before ? before.at.toISOString() : now.toISOString(), id);
  }

  private put(t: Target, call: CreateCallName, params: readonly string[], at: string, id: string | undefined): void {
    const entry: CreateCall = { call, at, ...(id ? { id } : {}), signature: this.sign(t.obj.metadata.uid ?? '', call, params, at, id) };
    t.status.createCalls = [...(t.status.createCalls ?? []).filter((c) => c.call !== call), entry];
  }
}
