// Wires the CloudProfile reconciler: status writes, events, and waking every resource that uses the profile.
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, FINALIZER, KINDS, PROFILE_FINALIZER } from '../../api/constants.ts';
import type { CloudProfile } from '../../api/types.ts';
import type { CloudRegistry } from '../../cloud/registry.ts';
import { Controller } from '../../runtime/controller.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import { kubeRequest, resourcePath } from '../../runtime/rest.ts';
import { ensureFinalizer, patchStatus, removeFinalizer } from '../../runtime/status.ts';
import { usesProfile } from '../shared/profile-refs.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { CloudProfileReconciler } from './reconciler.ts';

export interface CloudProfileControllerOptions {
  clouds: CloudResolver;
  registry: CloudRegistry;
  /** Called when a profile's readiness changed, to wake the resources that use it. */
  profileChanged(namespace: string, name: string): void;
  recheckReadyMs?: number;
  recheckNotReadyMs?: number;
  /**
   * Whether this process writes the profile's status (its shard's profile). Every shard watches every profile its
   * resources may use; only one checks the cloud for it and writes its status. Default: all.
   */
  owns?: (profile: CloudProfile) => boolean;
  /** The operator's default cloud: resources of its namespace without cloudRef use it. */
  defaultProfile?: { namespace: string; name: string };
}

const PROFILES = { apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural };

export function cloudProfileController(ctx: ManagerContext, o: CloudProfileControllerOptions): Controller<CloudProfile> {
  const profiles = ctx.informer<CloudProfile>({ apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural, kind: KINDS.CloudProfile.kind });
  const log = ctx.log.child({ controller: 'cloudprofile' });
  const reconciler = new CloudProfileReconciler({
    getProfile: (ns, name) => profiles.get(ns, name),
    clouds: o.clouds,
    gateway: (settings) => o.registry.get(settings),
    capabilities: (gw) => o.registry.detect(gw.id, true),
    patchStatus: async (obj, status) => {
      await patchStatus(ctx.kubeConfig, { apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural, namespace: obj.metadata.namespace, name: obj.metadata.name! }, status);
    },
    profileChanged: o.profileChanged,
    ensureFinalizer: async (obj) => void await ensureFinalizer(ctx.kubeConfig, PROFILES, obj, PROFILE_FINALIZER),
    removeFinalizer: async (obj) => void await removeFinalizer(ctx.kubeConfig, PROFILES, obj, PROFILE_FINALIZER),
    // Read from the API server, not a cache: a shard's caches hold only its own resources.
    usersOf: async (obj) => {
      const users: string[] = [];
      for (const kind of [KINDS.ImageCapture, KINDS.InstanceBundle]) {
        const list = await kubeRequest<{ items: Array<{ metadata: { name: string; namespace?: string; finalizers?: string[] }; spec: { cloudRef?: { name: string } } }> }>(
          ctx.kubeConfig, 'GET', resourcePath({ apiVersion: API_VERSION, plural: kind.plural, namespace: obj.metadata.namespace }));
        for (const r of list.items) {
          if ((r.metadata.finalizers ?? []).includes(FINALIZER) && usesProfile(r, obj, o.defaultProfile)) users.push(`${kind.singular}/${r.metadata.name}`);
        }
      }
      return users;
    },
    events: {
      normal: (obj, reason, message) => void ctx.recorder.normal(obj as KubernetesObject, reason, message),
      warning: (obj, reason, message) => void ctx.recorder.warning(obj as KubernetesObject, reason, message),
    },
    log,
    recheckReadyMs: o.recheckReadyMs ?? 10 * 60_000,
    recheckNotReadyMs: o.recheckNotReadyMs ?? 15_000,
  });
  const owns = o.owns ?? (() => true);
  // Another shard checks this profile: its status update is how this shard learns that readiness changed.
  profiles.on('update', (before, after) => {
    if (!owns(after) && readiness(before) !== readiness(after)) o.profileChanged(after.metadata.namespace!, after.metadata.name!);
  });
  profiles.on('delete', (p) => {
    o.registry.remove(`${p.metadata.namespace}/${p.metadata.name}`);
    o.clouds.forgetProfile(p);
    // Its resources say at once that it is gone (a finished capture keeps its Ready image and shows a condition).
    o.profileChanged(p.metadata.namespace!, p.metadata.name!);
  });
  return new Controller<CloudProfile>({
    name: 'cloudprofile',
    primary: profiles,
    updatePredicate: (a, b) => a.metadata.generation !== b.metadata.generation || !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp,
    // One worker per endpoint: profiles of several tenants pointing at one slow endpoint hold one worker, and
    // every other profile is checked by the others, each check bounded by the call deadline.
    queue: { concurrency: 4 },
    partition: { of: (key) => endpointOrigin(profiles.getByKey(key)), maxActive: 1 },
    reconcile: async (key) => {
      const profile = profiles.getByKey(key);
      return profile && !owns(profile) ? {} : reconciler.reconcile(key);
    },
    log,
  });
}

function readiness(p: CloudProfile): string | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function endpointOrigin(p: CloudProfile | undefined): string | undefined {
  try {
    return p?.spec?.ec2Endpoint ? new URL(p.spec.ec2Endpoint).origin.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
