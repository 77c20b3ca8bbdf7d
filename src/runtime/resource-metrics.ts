// Gauges read from the informer caches (no API calls): resources by phase, Stalled ones by reason, and whether
// each CloudProfile is Ready. Alerts in the chart's PrometheusRule match on these names.
import { cloudProfileReady, resourcesGauge, resourcesStalled } from './metrics.ts';

interface Observed {
  metadata?: { namespace?: string; name?: string; generation?: number; labels?: Record<string, string> };
  status?: { phase?: string; observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason?: string }> };
}

/** The condition, when the status was written for the object's current generation. */
function current(o: Observed, type: string) {
  if ((o.status?.observedGeneration ?? 0) !== (o.metadata?.generation ?? 0)) return undefined;
  return o.status?.conditions?.find((c) => c.type === type);
}

/** `ownsProfile`: whether this process checks the profile (its shard), and so counts it when Stalled. */
export function recordResourceMetrics(byKind: ReadonlyArray<readonly [string, Iterable<Observed>]>, profiles: readonly Observed[],
  ownsProfile: (p: Observed) => boolean = () => true): void {
  resourcesGauge.reset();
  resourcesStalled.reset();
  cloudProfileReady.reset();
  for (const [kind, objects] of byKind) {
    for (const o of objects) {
      resourcesGauge.inc({ kind, phase: o.status?.phase ?? 'Pending' });
      const stalled = current(o, 'Stalled');
      if (stalled?.status === 'True') resourcesStalled.inc({ kind, reason: stalled.reason ?? 'Unknown' });
    }
  }
  for (const p of profiles) {
    const stalled = current(p, 'Stalled');
    if (stalled?.status === 'True' && ownsProfile(p)) resourcesStalled.inc({ kind: 'CloudProfile', reason: stalled.reason ?? 'Unknown' });
    cloudProfileReady.set({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }, current(p, 'Ready')?.status === 'True' ? 1 : 0);
  }
}
