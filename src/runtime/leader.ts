// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: a candidate takes the
// Lease when it is free or its holder stopped renewing it (renewTime + leaseDurationSeconds passed), renews it
// every retry period, and every write carries the resourceVersion it read, so of two candidates racing for
// the same Lease only one write succeeds. Ours because @kubernetes/client-node (2.0.1) has no counterpart of
// k8s.io/client-go/tools/leaderelection (the Java, Python and C# clients each grew one: kubernetes-client/python#434,
// kubernetes-client/csharp#368); only the Lease reads and writes could come from its CoordinationV1Api.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { logger } from './logger.ts';
import { leaderGauge } from './metrics.ts';
import { kubeRequest, resourcePath, statusCodeOf } from './rest.ts';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  log?: Logger;
}

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether a Lease is held by someone other than `identity` and not yet expired at `now`. */
export function heldByOther(lease: Lease, identity: string, now: number, defaultDurationSeconds: number): boolean {
  const holder = lease.spec?.holderIdentity;
  if (!holder || holder === identity) return false;
  const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  if (!renew) return false;
  const duration = lease.spec?.leaseDurationSeconds ?? defaultDurationSeconds;
  return Date.parse(renew) + duration * 1000 > now;
}

export class LeaderElector {
  readonly identity: string;
  readonly #o: Required<Omit<LeaderElectorOptions, 'log'>>;
  readonly #log: Logger;
  #leading = false;
  #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  #callbacks: LeaderCallbacks | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#o = {
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      ...options,
    };
    if (this.#o.renewDeadlineSeconds >= this.#o.leaseDurationSeconds) {
      throw new Error('renewDeadlineSeconds must be shorter than leaseDurationSeconds');
    }
    this.identity = options.identity;
    this.#log = (options.log ?? logger()).child({ module: 'leader', lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Campaign until `release()`: call onStartedLeading on gaining the Lease, onStoppedLeading on losing it. */
  run(callbacks: LeaderCallbacks): Promise<void> {
    if (this.#loop) throw new Error('LeaderElector.run called twice');
    this.#callbacks = callbacks;
    this.#loop = this.#campaign();
    return this.#loop;
  }

  /** Stop campaigning; if leading, clear holderIdentity so a standby takes over at once. */
  async release(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
    if (!this.#leading) return;
    try {
      const lease = await this.#get();
      if (lease && lease.spec?.holderIdentity === this.identity) {
        const now = Date.now();
        await this.#put({
          ...lease,
          spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(now) },
        });
        this.#log.info('released leadership');
      }
    } catch (err) {
      this.#log.warn({ err }, 'could not release the Lease; a standby takes over once it expires');
    } finally {
      this.#setLeading(false);
    }
  }

  async #campaign(): Promise<void> {
    const signal = this.#stopped.signal;
    const retryMs = this.#o.retryPeriodSeconds * 1000;
    while (!signal.aborted) {
      // Candidate: try until we hold the Lease.
      while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
        await sleep(jitter(retryMs), signal);
      }
      if (signal.aborted) return;
      this.#setLeading(true);
      this.#log.info('became leader');
      // Leader: renew every retry period; give up when no renewal succeeded within the renew deadline.
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await sleep(retryMs, signal);
        if (signal.aborted) return;
        if (await this.#tryAcquireOrRenew()) {
          lastRenew = Date.now();
        } else if (Date.now() - lastRenew > this.#o.renewDeadlineSeconds * 1000) {
          this.#log.warn('could not renew the Lease before the deadline: stopping leading');
          this.#setLeading(false);
          break;
        }
      }
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    leaderGauge.set(leading ? 1 : 0);
    try {
      if (leading) this.#callbacks?.onStartedLeading();
      else this.#callbacks?.onStoppedLeading();
    } catch (err) {
      this.#log.error({ err }, 'leader callback threw');
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    try {
      const lease = await this.#get();
      const spec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.#o.leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      if (!lease) {
        await this.#create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec,
        });
        return true;
      }
      if (heldByOther(lease, this.identity, now, this.#o.leaseDurationSeconds)) return false;
      const wasOurs = lease.spec?.holderIdentity === this.identity;
      if (wasOurs) {
        spec.acquireTime = lease.spec?.acquireTime ?? spec.acquireTime;
        spec.leaseTransitions = lease.spec?.leaseTransitions ?? 0;
      } else {
        spec.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
      }
      // The read resourceVersion rides along: a concurrent writer makes this fail with 409.
      await this.#put({ ...lease, spec });
      return true;
    } catch (err) {
      if (statusCodeOf(err) !== 409) this.#log.warn({ err }, 'Lease request failed');
      return false;
    }
  }

  #timeout(): AbortSignal {
    return AbortSignal.timeout(this.#o.renewDeadlineSeconds * 1000);
  }

  async #get(): Promise<Lease | undefined> {
    try {
      return await kubeRequest<Lease>(this.#o.kubeConfig, 'GET', this.#path(this.#o.name), { signal: this.#timeout() });
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  async #create(lease: Lease): Promise<void> {
    await kubeRequest(this.#o.kubeConfig, 'POST', this.#path(), { body: lease, signal: this.#timeout() });
  }

  async #put(lease: Lease): Promise<void> {
    await kubeRequest(this.#o.kubeConfig, 'PUT', this.#path(this.#o.name), { body: lease, signal: this.#timeout() });
  }

  #path(name?: string): string {
    return resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: this.#o.namespace, name });
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (1 + Math.random() * 0.2));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
