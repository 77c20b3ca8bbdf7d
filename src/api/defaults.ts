// Spec defaults for code paths that read objects written before a default existed (or built in memory).
// Derived from the schemas, as the API server derives them, so there is no second copy of any default.
import { cloudProfile } from './schema/cloudprofile.ts';
import { imageCapture } from './schema/imagecapture.ts';
import { instanceBundle } from './schema/instancebundle.ts';
import type { Schema } from './schema/openapi.ts';
import type { CloudProfileSpec, ImageCaptureSpec, InstanceBundleSpec } from './types.ts';

/**
 * Structural defaulting as the API server does it: a missing property with a default gets a copy of it, then
 * defaulting descends into properties, array items and map values. Returns a new value; the input is not changed.
 */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    return schema.items ? value.map((v) => applyDefaults(schema.items!, v)) : [...value];
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && prop.default !== undefined) out[key] = structuredClone(prop.default);
    if (out[key] !== undefined) out[key] = applyDefaults(prop, out[key]);
  }
  if (schema.additionalProperties) {
    for (const key of Object.keys(out)) {
      if (!(key in (schema.properties ?? {}))) out[key] = applyDefaults(schema.additionalProperties, out[key]);
    }
  }
  return out;
}

type Defaulted<T, K extends keyof T> = T & Required<Pick<T, K>>;

export type DefaultedImageCaptureSpec = Defaulted<ImageCaptureSpec, 'noReboot' | 'includeAttachedVolumes' | 'strategy' | 'deletionPolicy' | 'timeout'>;
export type DefaultedInstanceBundleSpec = Defaulted<InstanceBundleSpec, 'uploadPolicyTTL' | 'deletionPolicy' | 'timeout'> & {
  storage: InstanceBundleSpec['storage'] & { createBucket: boolean };
};
export type DefaultedCloudProfileSpec = Defaulted<CloudProfileSpec, 'region'> & { rateLimit: { qps: number; burst: number } };

export function withImageCaptureDefaults(spec: ImageCaptureSpec): DefaultedImageCaptureSpec {
  return applyDefaults(imageCapture.spec, spec) as DefaultedImageCaptureSpec;
}

export function withInstanceBundleDefaults(spec: InstanceBundleSpec): DefaultedInstanceBundleSpec {
  return applyDefaults(instanceBundle.spec, spec) as DefaultedInstanceBundleSpec;
}

export function withCloudProfileDefaults(spec: CloudProfileSpec): DefaultedCloudProfileSpec {
  return applyDefaults(cloudProfile.spec, spec) as DefaultedCloudProfileSpec;
}
