// The one module through which the operator reaches the EC2 SDK, naming exactly what it uses. `npm run build`
// bundles the operator from the SDK's ES modules (build/bundle.ts), so only these exports are kept: the SDK's
// package defines every EC2 operation (over 800) at load, which costs the process tens of MB it never uses.
export {
  BundleInstanceCommand, CancelBundleTaskCommand, CreateImageCommand, CreateSnapshotCommand, CreateTagsCommand,
  DeleteSnapshotCommand, DeleteTagsCommand, DeleteVolumeCommand, DeregisterImageCommand, DescribeAvailabilityZonesCommand,
  DescribeBundleTasksCommand, DescribeImageAttributeCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribeSecurityGroupsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client, GetConsoleOutputCommand,
  ModifyImageAttributeCommand, RebootInstancesCommand, RegisterImageCommand, RunInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
export type {
  _InstanceType, ArchitectureValues, BlockDeviceMapping, BundleTask, Filter, Image, Instance, LaunchPermission, ResourceType,
  Snapshot, Tag, TagSpecification, Volume,
} from '@aws-sdk/client-ec2';
