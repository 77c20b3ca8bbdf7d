// InstanceBundle controller (being built): registered so the operator wiring is complete.
import type { InstanceBundle } from '../../api/types.ts';
import { API_VERSION, KINDS } from '../../api/constants.ts';
import { Controller } from '../../runtime/controller.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import type { CloudContexts } from '../shared/cloud-context.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';

export const INSTANCE_BUNDLE = KINDS.InstanceBundle.kind;

export interface InstanceBundleControllerOptions {
  clouds: CloudResolver;
  contexts: CloudContexts;
  defaultProfile?: { namespace: string; name: string };
  concurrency: number;
}

export function instanceBundleController(ctx: ManagerContext, o: InstanceBundleControllerOptions): Controller<InstanceBundle> {
  const bundles = ctx.informer<InstanceBundle>({ apiVersion: API_VERSION, plural: KINDS.InstanceBundle.plural, kind: INSTANCE_BUNDLE });
  return new Controller<InstanceBundle>({ name: 'instancebundle', primary: bundles, queue: { concurrency: o.concurrency }, reconcile: async () => ({}) });
}
