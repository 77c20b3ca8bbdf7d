// The EC2 operations the controllers use, one file per kind of cloud object (as sim/ec2/ is laid out): each
// operation is one call of intent over gateway.send and returns the operator's own shapes, so controllers never
// see a cloud dialect or an SDK type. Only src/cloud/ imports @aws-sdk (eslint.config.js enforces it).
export * from './ec2/shapes.ts';
export * from './ec2/instances.ts';
export * from './ec2/images.ts';
export * from './ec2/snapshots.ts';
export * from './ec2/bundles.ts';
export * from './ec2/tags.ts';
export * from './ec2/volumes.ts';
export * from './ec2/zones.ts';
export * from './ec2/account.ts';
