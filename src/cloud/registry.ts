// One gateway (and one set of pollers) per cloud, shared by every controller, so a cloud's rate limit and
// its batched polling are really shared. A changed Secret or CloudProfile changes the fingerprint and the
// next get() builds fresh clients; the old gateway is destroyed. The registry is the one owner of a cloud's
// capabilities: detected once per gateway, the CloudProfile's overrides applied, what a call taught learnt; the
// gateway's copy (read by the EC2 operations) is written only here.
import { applyOverrides, detectCapabilities, type Capabilities, type DetectionResult } from './capabilities.ts';
import { CloudGateway, type GatewayOptions } from './gateway.ts';
import { createPollers, stopPollers, type CloudPollers, type PollerFactoryOptions } from './pollers.ts';
import { fingerprint, type CloudSettings } from './settings.ts';

export interface CloudRegistryOptions {
  gateway?: GatewayOptions;
  /** Poller timing and the wake-up callback (the lead passes a function that enqueues the key). */
  pollers?: PollerFactoryOptions;
}

interface Slot {
  gateway: CloudGateway;
  pollers?: CloudPollers;
  capabilities?: Capabilities;
  detecting?: Promise<DetectionResult>;
}

export class CloudRegistry {
  private readonly slots = new Map<string, Slot>();
  private readonly options: CloudRegistryOptions;

  constructor(options: CloudRegistryOptions = {}) {
    this.options = options;
  }

  /** The gateway for these settings: cached per settings.id, rebuilt when any setting changed. */
  get(settings: CloudSettings): CloudGateway {
    const slot = this.slots.get(settings.id);
    if (slot && slot.gateway.fingerprint === fingerprint(settings)) return slot.gateway;
    // Watchers of the old pollers are woken so their reconcile registers again with the new ones.
    const orphans = slot?.pollers ? Object.values(slot.pollers).flatMap((p: { watchedKeys(): string[] }) => p.watchedKeys()) : [];
    if (slot) this.dispose(slot);
    const gateway = new CloudGateway(settings, this.options.gateway);
    this.slots.set(settings.id, { gateway });
    const wake = this.options.pollers?.onChange;
    if (wake) for (const key of new Set(orphans)) wake(key);
    return gateway;
  }

  /** The gateway already built for a cloud id, if any. */
  lookup(id: string): CloudGateway | undefined {
    return this.slots.get(id)?.gateway;
  }

  /** The cloud's batched pollers (created on first use). */
  pollers(id: string, onChange?: (key: string) => void): CloudPollers {
    const slot = this.requireSlot(id);
    if (!slot.pollers) {
      const base = this.options.pollers;
      const wake = onChange ?? base?.onChange;
      if (!wake) throw new Error('CloudRegistry.pollers needs an onChange callback');
      slot.pollers = createPollers(slot.gateway, { ...base, onChange: wake });
    }
    return slot.pollers;
  }

  /** Clouds that have answered nothing for longer than their deadline, with how long. */
  unresponsive(now = Date.now()): Array<{ id: string; ms: number }> {
    const out: Array<{ id: string; ms: number }> = [];
    for (const [id, slot] of this.slots) {
      const ms = slot.gateway.unresponsiveForMs(now);
      if (ms !== undefined) out.push({ id, ms });
    }
    return out;
  }

  /** Cached capabilities of a cloud (overrides applied), or undefined before detection. */
  capabilities(id: string): Capabilities | undefined {
    return this.slots.get(id)?.capabilities;
  }

  /** The capabilities of a cloud as every controller reads them: cached, or detected now. */
  async capabilitiesOf(id: string): Promise<Capabilities> {
    return this.capabilities(id) ?? (await this.detect(id)).capabilities;
  }

  /** Runs detection once per gateway (concurrent callers share it); overrides from the CloudProfile win. */
  async detect(id: string, force = false): Promise<DetectionResult> {
    const slot = this.requireSlot(id);
    if (force || !slot.detecting) {
      const p = detectCapabilities(slot.gateway).then((r) => {
        this.record(slot, applyOverrides(r.capabilities, slot.gateway.settings.capabilities));
        slot.gateway.unknownActions.unknown = r.unknown;
        return { ...r, capabilities: slot.capabilities! };
      });
      // A failed detection may be retried by the next caller.
      p.catch(() => { if (slot.detecting === p) slot.detecting = undefined; });
      slot.detecting = p;
    }
    return slot.detecting;
  }

  /** Records what the cloud taught at run time (e.g. createImage: false after an id-less CreateImage answer). */
  learn(id: string, learned: Partial<Capabilities>): void {
    const slot = this.requireSlot(id);
    if (!slot.capabilities) return;
    // Explicit overrides from the CloudProfile still win over what was learned.
    this.record(slot, applyOverrides({ ...slot.capabilities, ...learned }, slot.gateway.settings.capabilities));
  }

  /** The one place a cloud's capabilities are written. */
  private record(slot: Slot, capabilities: Capabilities): void {
    slot.capabilities = capabilities;
    slot.gateway.capabilities = capabilities;
  }

  /** Forgets a cloud (its CloudProfile was deleted). */
  remove(id: string): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.dispose(slot);
    this.slots.delete(id);
  }

  close(): void {
    for (const slot of this.slots.values()) this.dispose(slot);
    this.slots.clear();
  }

  private requireSlot(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no cloud gateway for '${id}': call get(settings) first`);
    return slot;
  }

  private dispose(slot: Slot): void {
    if (slot.pollers) stopPollers(slot.pollers);
    slot.gateway.destroy();
  }
}
