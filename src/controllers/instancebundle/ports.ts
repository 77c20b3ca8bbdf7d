// What the InstanceBundle steps need from the outside world: the cloud view (a KindCloud from
// controllers/shared/cloud-context.ts), Kubernetes writes and events.
import type { InstanceBundle, InstanceBundleStatus } from '../../api/types.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { ResourceWriter } from '../shared/resource-writer.ts';

export type BundleCloud = KindCloud;

export type BundleWriter = ResourceWriter<InstanceBundle, InstanceBundleStatus>;

export interface BundleEvents {
  normal(obj: InstanceBundle, reason: string, message: string): void;
  warning(obj: InstanceBundle, reason: string, message: string): void;
}

/** What one pass of the step machine tells the reconciler. */
export interface BundleStepResult {
  done: boolean;
  /** Write status now, before going on (a call follows that must not be repeated after a crash). */
  checkpoint?: boolean;
  /** Run the step machine again right away. */
  again?: boolean;
  requeueAfterMs?: number;
}
