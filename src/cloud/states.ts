// Cloud dialects spell the same states differently (Eucalyptus `canceling`, EC2 `cancelling`; progress "20"
// vs "20%"; snapshot `failed` vs `error`). Controllers only ever see the normalized values below.

export type SnapshotState = 'pending' | 'completed' | 'failed';
export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered' | 'unavailable';
export type BundleState = 'pending' | 'waiting-for-shutdown' | 'bundling' | 'storing' | 'cancelling' | 'cancelled'
  | 'complete' | 'failed';

/** "20", "20%", " 20 % ", 20 -> 20; missing or unreadable -> undefined. Clamped to 0..100. */
export function parseProgress(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? Math.min(100, Math.max(0, raw)) : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  if (!m) return undefined;
  return Math.min(100, Math.max(0, Number(m[1])));
}

export function normalizeSnapshotState(raw: string | undefined): SnapshotState {
  switch ((raw ?? '').trim().toLowerCase()) {
    case 'completed':
      return 'completed';
    case 'pending':
    case '':
      return 'pending';
    // Eucalyptus reports every non-pending, non-extant status as `failed`; EC2 says `error`.
    default:
      return 'failed';
  }
}

export function normalizeImageState(raw: string | undefined): ImageState {
  switch ((raw ?? '').trim().toLowerCase()) {
    case 'available':
      return 'available';
    case 'pending':
    case 'transient':
    case '':
      return 'pending';
    case 'failed':
    case 'error':
    case 'invalid':
      return 'failed';
    case 'deregistered':
    case 'disabled':
      return 'deregistered';
    default: // Eucalyptus `hidden`, `unavailable`
      return 'unavailable';
  }
}

export function normalizeBundleState(raw: string | undefined): BundleState {
  const s = (raw ?? '').trim().toLowerCase();
  switch (s) {
    case 'canceling':
    case 'cancelling':
      return 'cancelling';
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'none':
    case '':
      return 'pending';
    case 'succeeded':
      return 'complete';
    case 'pending':
    case 'waiting-for-shutdown':
    case 'bundling':
    case 'storing':
    case 'complete':
    case 'failed':
      return s;
    default:
      return 'failed';
  }
}

export function isTerminalBundleState(s: BundleState): boolean {
  return s === 'complete' || s === 'failed' || s === 'cancelled';
}
