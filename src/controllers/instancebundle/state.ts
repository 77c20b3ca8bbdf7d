// InstanceBundle's working status during a reconcile.
import type { InstanceBundle, InstanceBundleStatus } from '../../api/types.ts';
import { ResourceState } from '../shared/resource-state.ts';

export class InstanceBundleState extends ResourceState<InstanceBundle, InstanceBundleStatus> {}
