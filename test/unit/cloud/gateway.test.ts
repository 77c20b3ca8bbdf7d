// The gateway with a real SDK client against an in-process HTTP endpoint on 127.0.0.1: what goes on the wire
// and how real SDK errors are classified.
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeAvailabilityZonesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CloudGateway } from '../../../src/cloud/gateway.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { cloudCallsTotal } from '../../../src/runtime/metrics.ts';
import { EndpointPolicy } from '../../../src/cloud/endpoint-policy.ts';

interface Seen { method?: string; url?: string; body: string; headers: IncomingHttpHeaders }

describe('cloud/gateway on the wire', () => {
  let server: Server;
  let seen: Seen[];
  let reply: { status: number; body: string; hang?: boolean; location?: string };
  let endpoint: string;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, headers: req.headers });
        if (reply.hang) return; // never answers: only the caller's deadline ends the request
        res.writeHead(reply.status, { 'content-type': 'text/xml', ...(reply.location ? { location: reply.location } : {}) });
        res.end(reply.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    reply = { status: 200, body: '<DescribeAvailabilityZonesResponse><requestId>r</requestId><availabilityZoneInfo/></DescribeAvailabilityZonesResponse>' };
  });

  const gateway = (extra: object = {}, onCall?: (a: string, o: string) => void) => new CloudGateway({
    id: 'ns/cloud', ec2Endpoint: endpoint, s3Endpoint: `${endpoint}s3`, region: 'eucalyptus',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, rateLimit: { qps: 100, burst: 100 }, ...extra,
  }, { endpointPolicy: new EndpointPolicy(['127.0.0.1']), ...(onCall ? { onCall } : {}) });

  it('rewrites Version= before signing and keeps Content-Length right', async () => {
    const gw = gateway({ apiVersion: '2013-08-15' });
    try {
      await gw.send(new DescribeAvailabilityZonesCommand({}));
    } finally {
      gw.destroy();
    }
    const req = seen[0]!;
    expect(new URLSearchParams(req.body).get('Version')).to.equal('2013-08-15');
    expect(new URLSearchParams(req.body).get('Action')).to.equal('DescribeAvailabilityZones');
    expect(Number(req.headers['content-length'])).to.equal(Buffer.byteLength(req.body));
    expect(String(req.headers.authorization)).to.match(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eucalyptus\/ec2\/aws4_request/);
  });

  it('leaves the SDK Version alone without apiVersion', async () => {
    const gw = gateway();
    try {
      await gw.send(new DescribeAvailabilityZonesCommand({}));
    } finally {
      gw.destroy();
    }
    expect(new URLSearchParams(seen[0]!.body).get('Version')).to.match(/^\d{4}-\d{2}-\d{2}$/).and.not.equal('2013-08-15');
  });

  it('classifies a real SDK error with the Eucalyptus leading-space code, counts it, does not retry', async () => {
    reply = { status: 400, body: '<?xml version="1.0"?><Response><Errors><Error><Code> InvalidParameterValue</Code><Message>bad bucket</Message></Error></Errors><RequestID>r1</RequestID></Response>' };
    const calls: string[] = [];
    const gw = gateway({}, (a, o) => calls.push(`${a}:${o}`));
    let err: unknown;
    try {
      await gw.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-1'] }));
    } catch (e) {
      err = e;
    } finally {
      gw.destroy();
    }
    expect(err).to.be.instanceOf(CloudError);
    expect((err as CloudError).kind).to.equal('terminal');
    expect((err as CloudError).code).to.equal('InvalidParameterValue');
    expect((err as CloudError).httpStatus).to.equal(400);
    expect(calls).to.deep.equal(['DescribeSnapshots:terminal']);
    const metric = (await cloudCallsTotal.get()).values
      .find((v) => v.labels.cloud === 'ns/cloud' && v.labels.action === 'DescribeSnapshots' && v.labels.outcome === 'terminal');
    expect(metric?.value).to.be.at.least(1);
    expect(seen).to.have.length(1); // maxAttempts 1
  });

  it('a 503 RequestLimitExceeded pauses the cloud and halves its rate', async () => {
    reply = { status: 503, body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow</Message></Error></Errors><RequestID>r</RequestID></Response>' };
    const gw = gateway();
    try {
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect((err as CloudError).kind).to.equal('throttled');
      expect(gw.limiter.effectiveQps).to.be.closeTo(50, 1);
      expect(seen).to.have.length(1);
    } finally {
      gw.destroy();
    }
  });

  it('routes S3 commands to the S3 endpoint, path-style', async () => {
    reply = { status: 200, body: '<?xml version="1.0"?><ListBucketResult><Name>bkt</Name><IsTruncated>false</IsTruncated></ListBucketResult>' };
    const calls: string[] = [];
    const gw = gateway({}, (a, o) => calls.push(`${a}:${o}`));
    try {
      await gw.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'p' }));
    } finally {
      gw.destroy();
    }
    expect(seen[0]!.method).to.equal('GET');
    expect(seen[0]!.url).to.match(/^\/s3\/bkt\/?\?list-type=2/);
    expect(calls).to.deep.equal(['ListObjectsV2:success']);
  });

  it('cuts off a call that gets no answer at the deadline, closes its socket, and reports the cloud as silent', async () => {
    reply = { status: 200, body: '', hang: true };
    const gw = gateway({ callTimeoutMs: 400 });
    try {
      const started = Date.now();
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(err).to.be.instanceOf(CloudError);
      expect((err as CloudError).code).to.equal('DeadlineExceeded');
      expect((err as CloudError).kind).to.equal('retryable');
      expect(took).to.be.within(350, 2_000);
      expect(gw.unresponsiveForMs()).to.be.at.least(400);
      reply = { status: 200, body: '<DescribeAvailabilityZonesResponse><requestId>r</requestId><availabilityZoneInfo/></DescribeAvailabilityZonesResponse>' };
      await gw.send(new DescribeAvailabilityZonesCommand({}));
      expect(gw.unresponsiveForMs(), 'an answer clears it').to.equal(undefined);
    } finally {
      gw.destroy();
    }
  });

  it('follows no redirect: a 307 to another host is an error, and the other host sees nothing', async () => {
    let otherHit = 0;
    const other = createServer((_req, res) => { otherHit++; res.end('<x/>'); });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    reply = { status: 307, body: '', location: `http://localhost:${(other.address() as AddressInfo).port}/` };
    const gw = gateway();
    try {
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CloudError);
      expect(otherHit).to.equal(0);
      expect(seen).to.have.length(1);
    } finally {
      gw.destroy();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('refuses an endpoint outside the policy before sending anything', async () => {
    const gw = new CloudGateway({
      id: 'ns/meta', ec2Endpoint: 'http://169.254.169.254/latest/', region: 'eucalyptus',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, rateLimit: { qps: 100, burst: 100 },
    });
    try {
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect((err as CloudError).code).to.equal('EndpointNotAllowed');
      expect((err as CloudError).message).to.match(/loopback, link-local or metadata/);
    } finally {
      gw.destroy();
    }
    const loop = new CloudGateway({
      id: 'ns/loop', ec2Endpoint: endpoint, region: 'eucalyptus',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, rateLimit: { qps: 100, burst: 100 },
    });
    try {
      const err = await loop.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect((err as CloudError).code, 'loopback refused by default').to.equal('EndpointNotAllowed');
      expect(seen).to.have.length(0);
    } finally {
      loop.destroy();
    }
  });
});
