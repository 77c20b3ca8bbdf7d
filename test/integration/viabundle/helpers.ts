// ImageCapture manifests for the ViaBundle tests and where such a capture stages its bundle by default.
import type { Scenario } from '../support/scenario.ts';
import { uniq } from '../instancebundle/helpers.ts';

export function captureOf(s: Scenario, instanceId: string, spec: Record<string, unknown> = {}, name = uniq('vb')) {
  return {
    metadata: { name },
    spec: { cloudRef: { name: s.cloudName }, instanceId, image: { name: `img-${name}`, description: 'via bundle', tags: { team: 'imaging' } }, ...spec },
  };
}

export function stagingBucket(s: Scenario): string {
  return `eio-staging-${s.namespace}`;
}

/** ImportVolume calls that really imported (the capability probe at operator start sends an incomplete one). */
export function imports(s: Scenario): number {
  return s.sim.log.entries('ImportVolume').filter((e) => e.params['Image.ImportManifestUrl']).length;
}
