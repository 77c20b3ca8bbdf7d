// Small helpers shared by the ImageCapture tests: seeded instances, capture manifests, cloud-side counts.
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { Scenario } from '../support/scenario.ts';

export function seedInstance(s: Scenario, o: { rootDeviceType?: 'ebs' | 'instance-store'; attachedVolumes?: number; state?: 'running' | 'stopped'; platform?: 'linux' | 'windows'; account?: string } = {}) {
  const accountId = o.account ? [...s.sim.state.accountsById.values()].find((a) => a.name === o.account)!.accountId : undefined;
  const [instance] = s.sim.state.seedInstances({ count: 1, rootDeviceType: o.rootDeviceType ?? 'ebs', attachedVolumes: o.attachedVolumes ?? 0, state: o.state, platform: o.platform, ...(accountId ? { accountId } : {}) });
  return instance!;
}

let counter = 0;
export function captureManifest(s: Scenario, instanceId: string, spec: Record<string, unknown> = {}, name = `cap-${++counter}`) {
  const { image, ...rest } = spec as { image?: Record<string, unknown> };
  return {
    metadata: { name },
    spec: { cloudRef: { name: s.cloudName }, instanceId, image: { name: `img-${name}-${Date.now()}`, ...image }, ...rest },
  };
}

/** Cloud objects (live, not deleted) carrying this owner tag prefix `<namespace>/<name>/`. */
export function ownedObjects(s: Scenario, namespace: string, name: string) {
  const mine = (tags: Map<string, string>) => (tags.get(OWNER_TAG) ?? '').startsWith(`${namespace}/${name}/`);
  const st = s.sim.state;
  return {
    images: [...st.images.values()].filter((i) => i.state !== 'deregistered' && mine(i.tags)),
    snapshots: [...st.snapshots.values()].filter((x) => mine(x.tags)),
    volumes: [...st.volumes.values()].filter((v) => v.status !== 'deleted' && mine(v.tags)),
  };
}

export function calls(s: Scenario, action: string): number {
  return s.sim.log.count(action);
}

/**
 * DescribeImages by owner tag since `since` (ms): the look-up a step makes before RegisterImage or CreateImage when
 * such a call may have been sent and not recorded (deletion makes it too).
 */
export function imageLookups(s: Scenario, since: number): number {
  return s.sim.log.entries().filter((e) => e.action === 'DescribeImages' && e.time.getTime() >= since && Object.values(e.params).includes(`tag:${OWNER_TAG}`)).length;
}
