// InstanceBundle's working status during a reconcile.
import type { InstanceBundle, InstanceBundleStatus } from '../../api/types.ts';
import type { BundleTaskInfo } from '../../cloud/ec2.ts';
import { ResourceState } from '../shared/resource-state.ts';

export class InstanceBundleState extends ResourceState<InstanceBundle, InstanceBundleStatus> {
  /** What validation learnt from DescribeBundleTasks in this reconcile, so the start step need not ask again. */
  taskLookup: { task?: BundleTaskInfo } | undefined;

  override get minorFields(): readonly string[] {
    return ['progress', 'bundleId', 'state', 'imageId', 'createCalls'];
  }
}
