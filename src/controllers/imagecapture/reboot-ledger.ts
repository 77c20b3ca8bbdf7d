// Reboots recorded where every operator process sees them: one coordination.k8s.io/v1 Lease per (cloud endpoint,
// instance) in the operator's namespace, whose acquireTime is when the last reboot was sent. A writer carries the
// resourceVersion it read, so of two processes about to reboot one instance (two shards, or a leader and its
// successor after a crash) only one write succeeds: one disruptive operation per instance at a time, across
// captures, shards and restarts. Ledger Leases older than an hour are removed by the next process that records one.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP } from '../../api/constants.ts';
import { microTime, type Lease } from '../../runtime/leader.ts';
import { kubeRequest, resourcePath, statusCodeOf } from '../../runtime/rest.ts';

export const REBOOT_LEDGER_LABEL = `${GROUP}/reboot-ledger`;
const INSTANCE_ANNOTATION = `${GROUP}/instance`;
const SWEEP_EVERY_MS = 3_600_000;

export type RebootDecision =
  /** A reboot sent since the capture asked for one serves it too (captures asking together share one). */
  | { kind: 'shared'; sentAt: number }
  /** An earlier reboot is still settling, or another process recorded one a moment ago: look again later. */
  | { kind: 'wait'; ms: number }
  /** Recorded: the caller sends the reboot now. */
  | { kind: 'send' };

export interface RebootLedgerOptions {
  kubeConfig: KubeConfig;
  /** The operator's namespace: home of the ledger's Leases (and of its leader-election Lease). */
  namespace: string;
  /** Time a rebooted guest gets before anything else disrupts it. */
  settleMs: number;
  log?: Logger;
}

export class RebootLedger {
  readonly settleMs: number;
  readonly #o: RebootLedgerOptions;
  #lastSweep = 0;

  constructor(options: RebootLedgerOptions) {
    this.#o = options;
    this.settleMs = options.settleMs;
  }

  /**
   * Whether `holder` may reboot `instanceId` of the cloud at `endpoint` now. `requestedAt` (ms) lets a reboot sent
   * after that moment serve the request (Orchestrated); without it (CreateImage, whose call reboots by itself)
   * the caller only waits its turn.
   */
  async decide(endpoint: string, instanceId: string, holder: string, requestedAt?: number): Promise<RebootDecision> {
    const name = leaseName(endpoint, instanceId);
    const lease = await this.#get(name);
    const sentAt = lease?.spec?.acquireTime ? Date.parse(lease.spec.acquireTime) : undefined;
    const now = Date.now();
    if (sentAt !== undefined && requestedAt !== undefined && sentAt >= requestedAt) return { kind: 'shared', sentAt };
    if (sentAt !== undefined && now < sentAt + this.settleMs) return { kind: 'wait', ms: Math.max(200, sentAt + this.settleMs - now) };
    const spec = { holderIdentity: holder, acquireTime: microTime(now), renewTime: microTime(now), leaseDurationSeconds: Math.max(1, Math.ceil(this.settleMs / 1000)) };
    try {
      if (lease) {
        await kubeRequest(this.#o.kubeConfig, 'PUT', this.#path(name), { body: { ...lease, spec: { ...lease.spec, ...spec } } });
      } else {
        await kubeRequest(this.#o.kubeConfig, 'POST', this.#path(), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace: this.#o.namespace, labels: { [REBOOT_LEDGER_LABEL]: 'true' }, annotations: { [INSTANCE_ANNOTATION]: `${instanceId} at ${endpoint}` } },
            spec,
          },
        });
      }
    } catch (err) {
      // Another process recorded a reboot between our read and write: its reboot decides what we do next.
      if (statusCodeOf(err) === 409) return { kind: 'wait', ms: 200 };
      throw err;
    }
    this.#sweepSometimes(now);
    return { kind: 'send' };
  }

  /** When the latest recorded reboot of the instance was sent, if one is recorded. */
  async lastSentAt(endpoint: string, instanceId: string): Promise<number | undefined> {
    const at = (await this.#get(leaseName(endpoint, instanceId)))?.spec?.acquireTime;
    return at ? Date.parse(at) : undefined;
  }

  async #get(name: string): Promise<Lease | undefined> {
    try {
      return await kubeRequest<Lease>(this.#o.kubeConfig, 'GET', this.#path(name));
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Ledger Leases of reboots long settled go; a failure only leaves them for the next sweep. */
  #sweepSometimes(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    void (async () => {
      const list = await kubeRequest<{ items: Lease[] }>(this.#o.kubeConfig, 'GET', this.#path(), { query: { labelSelector: `${REBOOT_LEDGER_LABEL}=true` } });
      const old = list.items.filter((l) => Date.parse(l.spec?.acquireTime ?? '') < now - SWEEP_EVERY_MS - this.settleMs);
      for (const l of old) {
        // The resourceVersion precondition keeps a reboot recorded meanwhile.
        await kubeRequest(this.#o.kubeConfig, 'DELETE', this.#path(l.metadata.name), { body: { preconditions: { resourceVersion: l.metadata.resourceVersion } } })
          .catch((err: unknown) => { if (statusCodeOf(err) !== 404 && statusCodeOf(err) !== 409) throw err; });
      }
    })().catch((err: unknown) => this.#o.log?.warn({ err }, 'could not remove settled reboot records'));
  }

  #path(name?: string): string {
    return resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: this.#o.namespace, name });
  }
}

/** One Lease name per cloud endpoint and instance: the same instance reached through two CloudProfiles shares it. */
export function leaseName(endpoint: string, instanceId: string): string {
  let where = endpoint;
  try {
    where = new URL(endpoint).href;
  } catch { /* an unparseable endpoint never reaches a reboot; hash it as written */ }
  return `eio-reboot-${createHash('sha256').update(`${where} ${instanceId}`).digest('hex').slice(0, 24)}`;
}
