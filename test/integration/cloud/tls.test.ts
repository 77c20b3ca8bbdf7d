// The gateway over HTTPS: a cloud with a private CA works when its CA bundle is given, and is refused when it
// is not (verification is never turned off).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { startEucasim } from '../../../sim/server.ts';
import { generateTls } from '../../env/tls.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { defaultCapabilities } from '../../../src/cloud/capabilities.ts';
import * as s3 from '../../../src/cloud/s3.ts';
import { detectS3Signature } from '../../../src/cloud/s3-signature.ts';
import { FIXTURE, gatewayFor, type Sim } from './sim-gateway.ts';

describe('cloud gateway over TLS with a private CA', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: Sim;
  let ca: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eio-cloud-tls-'));
    const files = await generateTls(dir);
    ca = readFileSync(files.caCert, 'utf8');
    sim = await startEucasim({ host: '127.0.0.1', port: 0, profile: 'eucalyptus-3.4', fixtures: FIXTURE, latency: 'zero',
      tls: { cert: readFileSync(files.servingCert, 'utf8'), key: readFileSync(files.servingKey, 'utf8') } });
  });
  after(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the cloud through the CA bundle, for EC2 and S3', async () => {
    expect(sim.url).to.match(/^https:/);
    const gw = gatewayFor(sim, { caBundle: ca });
    try {
      const out = await gw.send(new DescribeAvailabilityZonesCommand({}));
      expect(out.AvailabilityZones?.length).to.be.greaterThan(0);
      // The S3 signature is detected over TLS too (3.4's Walrus: SigV2), then used.
      const { signature: s3Signature } = await detectS3Signature(gw, 'eucalyptus', []);
      expect(s3Signature).to.equal('v2');
      gw.capabilities = { ...defaultCapabilities('eucalyptus'), s3Signature };
      expect(await s3.bucketExists(gw, 'no-such-bucket')).to.equal(false);
    } finally {
      gw.destroy();
    }
  });

  it('refuses the cloud without the CA bundle', async () => {
    const gw = gatewayFor(sim);
    try {
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CloudError);
      expect((err as CloudError).kind).to.equal('terminal');
      expect((err as CloudError).code).to.match(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      gw.destroy();
    }
  });
});
