import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from '../../runtime/informer.ts';

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

type ProfileUser = KubernetesObject & { metadata: { namespace?: string }; spec: { cloudRef?: { name: string } } };

/** The cache keys of the resources that use this CloudProfile (walked without an array of every resource). */
export function profileUsers(resources: Iterable<ProfileUser>, profile: KubernetesObject, defaultProfile: { namespace: string; name: string } | undefined): string[] {
  const users: string[] = [];
  for (const r of resources) if (usesProfile(r, profile, defaultProfile)) users.push(objectKey(r));
  return users;
}

/**
 * The bulkhead a resource's work belongs to: the origin of its cloud's EC2 endpoint (profiles of different
 * tenants that point at one slow endpoint share one bulkhead), or the profile key while it is unknown.
 */
export function cloudPartition(
  resource: { metadata?: { namespace?: string }; spec?: { cloudRef?: { name: string } } } | undefined,
  getProfile: (namespace: string, name: string) => { spec?: { ec2Endpoint?: string } } | undefined,
  defaultProfile: { namespace: string; name: string } | undefined,
): string | undefined {
  if (!resource?.spec) return undefined;
  const ref = resource.spec.cloudRef?.name;
  const where = ref ? { namespace: resource.metadata?.namespace ?? '', name: ref } : defaultProfile;
  if (!where) return undefined;
  const endpoint = getProfile(where.namespace, where.name)?.spec?.ec2Endpoint;
  try {
    if (endpoint) return new URL(endpoint).origin.toLowerCase();
  } catch {
    // Not a URL: fall back to the profile itself.
  }
  return `${where.namespace}/${where.name}`;
}
