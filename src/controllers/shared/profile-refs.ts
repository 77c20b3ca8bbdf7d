import type { KubernetesObject } from '@kubernetes/client-node';

/** Does a resource use this CloudProfile (its cloudRef in the same namespace, or the default cloud)? */
export function usesProfile(
  resource: { metadata: { namespace?: string }; spec: { cloudRef?: { name: string } } },
  profile: KubernetesObject,
  defaultProfile: { namespace: string; name: string } | undefined,
): boolean {
  const ref = resource.spec.cloudRef?.name;
  if (ref) return ref === profile.metadata?.name && resource.metadata.namespace === profile.metadata?.namespace;
  return !!defaultProfile && defaultProfile.name === profile.metadata?.name && defaultProfile.namespace === profile.metadata?.namespace;
}
