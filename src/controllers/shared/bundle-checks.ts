// Can this cloud bundle this instance? Decided from the cloud's capabilities before anything is created, so
// the user reads what the cloud lacks instead of a raw refusal from BundleInstance.
import type { Capabilities } from '../../cloud/capabilities.ts';
import type { InstanceInfo } from '../../cloud/ec2.ts';
import { StallError, WaitError } from './outcomes.ts';

export function checkBundleable(instance: InstanceInfo, caps: Capabilities, prefix: string): void {
  const id = instance.instanceId;
  if (instance.state === 'pending') {
    throw new WaitError('InstanceTransitioning', `instance ${id} is pending; bundling starts when it is running`, 5_000);
  }
  if (instance.state !== 'running') {
    throw new StallError('InvalidInstanceState', `instance ${id} is ${instance.state}: only a running instance can be bundled`);
  }
  if (instance.rootDeviceType === 'ebs' && !caps.bundleEbs) {
    throw new StallError('UnsupportedByCloud', `instance ${id} is EBS-backed and this cloud cannot bundle EBS-backed instances (capability bundleEbs is false; Eucalyptus 3.4+ can): use an ImageCapture instead`);
  }
  if (instance.platform !== 'windows' && !caps.bundleLinux) {
    throw new StallError('UnsupportedByCloud', `instance ${id} is a Linux instance and this cloud bundles only Windows instances (capability bundleLinux is false: Eucalyptus 3.3 and EC2 lack Linux bundling; Eucalyptus 3.4+ has it)`);
  }
  if (caps.dialect === 'eucalyptus' && !caps.bundleLinux && !prefix.startsWith('windows')) {
    throw new StallError('UnsupportedByCloud', `this cloud (Eucalyptus before 3.4) only accepts bundle prefixes starting with "windows": set storage.prefix to windows-...`);
  }
}
