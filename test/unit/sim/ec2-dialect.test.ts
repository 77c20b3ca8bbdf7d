// The EC2 wire dialect of each profile, as the Eucalyptus sources send it (F§11): any dated API version, SigV2 (see
// s3-dialects.test.ts), request-stage failures with the HTTP status line as the code, uncoded failures as HTTP 406
// with `<Action>Type`, MaxResults refused (3.4+) or ignored (3.3), RestorableBy empty, the 3.4 BundleTask reply, the
// leading-space code on 3.4 and 4.0.
import {
  BundleInstanceCommand, CancelBundleTaskCommand, DescribeAvailabilityZonesCommand, DescribeBundleTasksCommand,
  DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client, StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import type { ProfileName } from '../../../sim/profiles.ts';
import { rejection, startTestSim, stopTestSim, TEST_KEY, type TestSim, until } from './helpers.ts';

function policy(bucket: string, prefix: string) {
  const json = JSON.stringify({
    conditions: [{ acl: 'ec2-bundle-read' }, { bucket }, ['starts-with', '$key', prefix]],
    expiration: new Date(Date.now() + 3600_000).toISOString(),
  });
  const b64 = Buffer.from(json).toString('base64');
  return { UploadPolicy: Buffer.from(json), UploadPolicySignature: createHmac('sha1', TEST_KEY.secretAccessKey).update(b64).digest('base64') };
}

async function instanceId(ec2: EC2Client, name: string): Promise<string> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  return out.Reservations![0]!.Instances![0]!.InstanceId!;
}

/** A client that sends `Version=<version>` and one extra parameter (when given), both signed. */
function clientWith(t: TestSim, opts: { version?: string; extra?: string; secret?: string }): EC2Client {
  const c = new EC2Client({ endpoint: t.sim.url, region: 'eucalyptus', maxAttempts: 1, credentials: { ...TEST_KEY, ...(opts.secret ? { secretAccessKey: opts.secret } : {}) } });
  // Rewrites the form body before signing, so the signature covers the change.
  c.middlewareStack.add((next) => async (args) => {
    const req = args.request as { body?: string; headers: Record<string, string> };
    if (typeof req.body === 'string') {
      if (opts.version) req.body = req.body.replace(/(^|&)Version=[^&]*/, `$1Version=${opts.version}`);
      if (opts.extra) req.body = `${req.body}&${opts.extra}`;
      req.headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    return next(args);
  }, { step: 'build', priority: 'low', name: 'rewriteForm' });
  return c;
}

const EUCA: ProfileName[] = ['eucalyptus-3.3', 'eucalyptus-3.4', 'eucalyptus-4.0', 'eucalyptus-4.4'];

describe('eucasim EC2 dialect per profile', () => {
  for (const profile of [...EUCA, 'aws' as const]) {
    describe(profile, () => {
      const euca = profile !== 'aws';
      let t: TestSim;
      before(async () => { t = await startTestSim(profile, { latency: { bundleStepMs: 20 } }); });
      after(() => stopTestSim(t));

      it(euca ? 'answers any dated API version in its namespace' : 'answers only the versions it knows', async () => {
        const c = clientWith(t, { version: '2099-12-31' });
        try {
          if (euca) {
            expect((await c.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!.length).to.be.greaterThan(0);
            const raw = t.sim.log.entries('DescribeAvailabilityZones').at(-1)!;
            expect(raw.params['Version']).to.equal('2099-12-31');
          } else {
            expect((await rejection(c.send(new DescribeAvailabilityZonesCommand({})))).name).to.equal('NoSuchVersion');
          }
        } finally {
          c.destroy();
        }
      });

      it(euca ? 'refuses a bad signature with the status line "403 Forbidden"' : 'refuses a bad signature with AuthFailure 401', async () => {
        const c = clientWith(t, { secret: 'wrong' });
        try {
          const err = await rejection(c.send(new DescribeAvailabilityZonesCommand({})));
          expect([err.name, err.$metadata?.httpStatusCode]).to.deep.equal(euca ? ['403 Forbidden', 403] : ['AuthFailure', 401]);
        } finally {
          c.destroy();
        }
      });

      const binds = profile !== 'eucalyptus-3.3' && euca;
      it(binds ? 'refuses an unknown parameter and MaxResults with "400 Bad Request"' : 'ignores an unknown parameter', async () => {
        const c = clientWith(t, { extra: 'NoSuchParameter=1' });
        try {
          if (binds) {
            const err = await rejection(c.send(new DescribeAvailabilityZonesCommand({})));
            expect([err.name, err.$metadata?.httpStatusCode]).to.deep.equal(['400 Bad Request', 400]);
            expect(err.message).to.contain('Failed to bind the following fields').and.contain('NoSuchParameter');
            const paged = await rejection(t.ec2.send(new DescribeSnapshotsCommand({ MaxResults: 5 })));
            expect(paged.name).to.equal('400 Bad Request');
          } else {
            expect((await c.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!.length).to.be.greaterThan(0);
          }
        } finally {
          c.destroy();
        }
      });

      if (profile === 'eucalyptus-3.3' || profile === 'aws') {
        it(profile === 'aws' ? 'pages DescribeInstances by MaxResults' : 'ignores MaxResults (all items in one answer)', async () => {
          t.sim.state.seedInstances({ count: 6, rootDeviceType: 'ebs', accountId: '111111111111' });
          const all = (await t.ec2.send(new DescribeInstancesCommand({}))).Reservations!.length;
          expect(all).to.be.greaterThan(5);
          const first = await t.ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
          if (profile === 'aws') expect(first.NextToken).to.be.a('string');
          else expect([first.Reservations!.length, first.NextToken]).to.deep.equal([all, undefined]);
        });
      }

      it(euca ? 'answers RestorableBy with an empty set' : 'answers RestorableBy with the own snapshots', async () => {
        const out = await t.ec2.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ['self'] }));
        if (euca) expect(out.Snapshots).to.deep.equal([]);
        else expect(out.Snapshots!.length).to.be.greaterThan(0);
      });

      it(euca ? 'answers uncoded failures with HTTP 406 and <Action>Type' : 'answers those failures with EC2 codes', async () => {
        const gone = await rejection(t.ec2.send(new CancelBundleTaskCommand({ BundleId: euca ? 'bun-0000ABCD' : 'bun-0000000000000abcd' })));
        expect([gone.name, gone.$metadata?.httpStatusCode]).to.deep.equal(euca ? ['CancelBundleTaskType', 406] : ['InvalidBundleID.NotFound', 400]);
        if (euca) expect(gone.message).to.equal('Failed to find bundle task: bun-0000ABCD');
        const bundle = (instance: string, prefix: string) => t.ec2.send(new BundleInstanceCommand({
          InstanceId: instance, Storage: { S3: { Bucket: 'test-bundles', Prefix: prefix, AWSAccessKeyId: TEST_KEY.accessKeyId, ...policy('test-bundles', prefix) } },
        }));
        if (profile === 'eucalyptus-3.3' || profile === 'aws') {
          // Linux: 3.3 bundles only Windows (uncoded), EC2 only Windows instance-store (UnsupportedOperation).
          const err = await rejection(bundle(await instanceId(t.ec2, 'store-linux'), 'windows-lin'));
          expect([err.name, err.$metadata?.httpStatusCode]).to.deep.equal(euca ? ['BundleInstanceType', 406] : ['UnsupportedOperation', 400]);
          return;
        }
        const ebs = await instanceId(t.ec2, 'ebs-linux');
        await t.ec2.send(new StopInstancesCommand({ InstanceIds: [ebs] }));
        await until(async () => (await t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ebs] }))).Reservations![0]!.Instances![0]!.State!.Name === 'stopped');
        const err = await rejection(bundle(ebs, 'stopped-x'));
        expect([err.name, err.$metadata?.httpStatusCode]).to.deep.equal(['BundleInstanceType', 406]);
        expect(err.message).to.equal(`Failed to bundle requested vm because it is not currently 'running': ${ebs}`);
      });

      it('writes the BundleTask reply with the fields of its binding', async () => {
        const id = await instanceId(t.ec2, euca && profile !== 'eucalyptus-3.3' ? 'store-linux' : 'store-windows');
        const prefix = profile === 'eucalyptus-3.3' ? 'windows-reply' : 'reply';
        const out = await t.ec2.send(new BundleInstanceCommand({
          InstanceId: id, Storage: { S3: { Bucket: 'test-bundles', Prefix: prefix, AWSAccessKeyId: TEST_KEY.accessKeyId, ...policy('test-bundles', prefix) } },
        }));
        const s3 = out.BundleTask!.Storage!.S3!;
        expect([s3.Bucket, s3.Prefix]).to.deep.equal(['test-bundles', prefix]);
        if (euca) expect([s3.AWSAccessKeyId, s3.UploadPolicy, s3.UploadPolicySignature]).to.deep.equal([undefined, undefined, undefined]);
        else expect(s3.AWSAccessKeyId).to.equal(TEST_KEY.accessKeyId);
        await until(async () => ['complete', 'failed'].includes((await t.ec2.send(new DescribeBundleTasksCommand({ BundleIds: [out.BundleTask!.BundleId!] }))).BundleTasks![0]!.State!));
      });

      it(`answers a bad bucket name with ${['eucalyptus-3.4', 'eucalyptus-4.0', 'eucalyptus-4.4'].includes(profile) ? 'the leading-space code' : 'InvalidParameterValue'}`, async () => {
        const name = euca && profile !== 'eucalyptus-3.3' ? 'store-linux' : 'store-windows';
        const err = await rejection(t.ec2.send(new BundleInstanceCommand({
          InstanceId: await instanceId(t.ec2, name), Storage: { S3: { Bucket: 'x', Prefix: 'p-x', AWSAccessKeyId: TEST_KEY.accessKeyId, ...policy('x', 'p-x') } },
        })));
        expect(err.name).to.equal(['eucalyptus-3.4', 'eucalyptus-4.0', 'eucalyptus-4.4'].includes(profile) ? ' InvalidParameterValue' : 'InvalidParameterValue');
      });
    });
  }
});
