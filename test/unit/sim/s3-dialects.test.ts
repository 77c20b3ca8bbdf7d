// The signature schemes and S3 operations each profile accepts, checked over raw HTTP with SigV2 signatures that
// Python's hmac computes (so the simulator's own signing code is not the judge of itself):
// Walrus 3.x / OSG 4.0 take SigV2 only and refuse SigV4 as "Invalid authorization header"; 4.4 adds SigV4 and
// multi-object delete; no Eucalyptus has ListObjectsV2; EC2 on Eucalyptus takes SigV2 besides SigV4.
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import type { ProfileName } from '../../../sim/profiles.ts';
import { rejection, startTestSim, stopTestSim, TEST_KEY, type TestSim } from './helpers.ts';

// S3 REST SigV2: base64(HMAC-SHA1(secret, VERB\nMD5\nType\nDate\n[x-amz-*\n]resource)).
const S3_SIGN = `
import base64, hashlib, hmac, sys
secret, verb, md5, ctype, date, resource = sys.argv[1:7]
sts = "\\n".join([verb, md5, ctype, date, resource])
print(base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode())
`;
// EC2 query SigV2 (HmacSHA256): VERB\nhost\npath\nsorted RFC 3986-encoded parameters.
const EC2_SIGN = `
import base64, hashlib, hmac, json, sys, urllib.parse
secret, verb, host, path, params = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
q = "&".join(urllib.parse.quote(k, safe="-_.~") + "=" + urllib.parse.quote(params[k], safe="-_.~") for k in sorted(params))
sts = "\\n".join([verb, host.lower(), path, q])
print(base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha256).digest()).decode())
`;

function python(script: string, args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' }).trim();
}

interface Raw { status: number; body: string }

function raw(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A SigV2 header-signed S3 request; the signature comes from Python. */
function s3v2(t: TestSim, method: string, path: string, body?: string, contentType = ''): Promise<Raw> {
  const date = new Date().toUTCString();
  const url = new URL(`${t.sim.s3Url}${path}`);
  // The only sub-resource used here is `delete`; other query parameters are not part of the resource.
  const resource = url.pathname + (url.searchParams.has('delete') ? '?delete' : '');
  const sig = python(S3_SIGN, [TEST_KEY.secretAccessKey, method, '', contentType, date, resource]);
  const headers: Record<string, string> = { date, authorization: `AWS ${TEST_KEY.accessKeyId}:${sig}` };
  if (contentType) headers['content-type'] = contentType;
  return raw(method, `${t.sim.s3Url}${path}`, headers, body);
}

/** A SigV2 query-authenticated GET URL; the signature comes from Python. */
function s3v2Query(t: TestSim, path: string, expires: number): string {
  const url = new URL(`${t.sim.s3Url}${path}`);
  const sig = python(S3_SIGN, [TEST_KEY.secretAccessKey, 'GET', '', '', String(expires), url.pathname]);
  url.search = new URLSearchParams({ AWSAccessKeyId: TEST_KEY.accessKeyId, Expires: String(expires), Signature: sig }).toString();
  return url.toString();
}

function v4Client(t: TestSim): S3Client {
  return new S3Client({ endpoint: t.sim.s3Url, region: 'eucalyptus', forcePathStyle: true, credentials: TEST_KEY, maxAttempts: 1 });
}

const PROFILES: { name: ProfileName; v2: boolean; v4: boolean; multiDelete: boolean; listV2: boolean; ec2v2: boolean }[] = [
  { name: 'eucalyptus-3.3', v2: true, v4: false, multiDelete: false, listV2: false, ec2v2: true },
  { name: 'eucalyptus-3.4', v2: true, v4: false, multiDelete: false, listV2: false, ec2v2: true },
  { name: 'eucalyptus-4.0', v2: true, v4: false, multiDelete: false, listV2: false, ec2v2: true },
  { name: 'eucalyptus-4.4', v2: true, v4: true, multiDelete: true, listV2: false, ec2v2: true },
  { name: 'aws', v2: false, v4: true, multiDelete: true, listV2: true, ec2v2: false },
];

describe('eucasim signature schemes and S3 operations per profile', () => {
  for (const p of PROFILES) {
    describe(p.name, () => {
      let t: TestSim;
      before(async () => { t = await startTestSim(p.name); });
      after(() => stopTestSim(t));

      it(p.v4 ? 'accepts a SigV4 S3 request' : 'refuses a SigV4 S3 request with AccessDenied "Invalid authorization header"', async () => {
        const client = v4Client(t);
        try {
          if (p.v4) {
            expect((await client.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).to.include('test-bundles');
          } else {
            const err = await rejection(client.send(new ListBucketsCommand({})));
            expect([err.name, err.message, err.$metadata?.httpStatusCode]).to.deep.equal(['AccessDenied', 'Invalid authorization header', 403]);
          }
        } finally {
          client.destroy();
        }
      });

      it(p.v2 ? 'accepts SigV2 header auth (PUT and GET) signed by Python' : 'refuses SigV2 header auth as an unsupported mechanism', async () => {
        const put = await s3v2(t, 'PUT', '/test-bundles/dir/v2 object.txt', 'signed by python', 'text/plain');
        if (!p.v2) {
          expect(put.status).to.equal(400);
          expect(put.body).to.contain('<Code>InvalidRequest</Code>');
          return;
        }
        expect(put.status).to.equal(200);
        const get = await s3v2(t, 'GET', '/test-bundles/dir/v2%20object.txt');
        expect([get.status, get.body]).to.deep.equal([200, 'signed by python']);
        const wrong = await raw('GET', `${t.sim.s3Url}/test-bundles/dir/v2%20object.txt`,
          { date: new Date().toUTCString(), authorization: `AWS ${TEST_KEY.accessKeyId}:${Buffer.alloc(20).toString('base64')}` });
        expect(wrong.status).to.equal(403);
        expect(wrong.body).to.contain('<Code>SignatureDoesNotMatch</Code>');
      });

      it(p.v2 ? 'accepts SigV2 query auth signed by Python, refuses it expired or tampered' : 'refuses SigV2 query auth', async () => {
        t.sim.state.s3.put(t.sim.state.s3.buckets.get('test-bundles')!, 'q/file.txt', Buffer.from('query auth'), 'text/plain');
        const url = s3v2Query(t, '/test-bundles/q/file.txt', Math.floor(Date.now() / 1000) + 60);
        const ok = await raw('GET', url, {});
        if (!p.v2) {
          expect(ok.status).to.equal(400);
          return;
        }
        expect([ok.status, ok.body]).to.deep.equal([200, 'query auth']);
        const expired = await raw('GET', s3v2Query(t, '/test-bundles/q/file.txt', Math.floor(Date.now() / 1000) - 5), {});
        expect(expired.status).to.equal(403);
        expect(expired.body).to.contain('Request has expired');
        const tampered = await raw('GET', url.replace('file.txt', 'other.txt'), {});
        expect(tampered.status).to.equal(403);
        expect(tampered.body).to.contain('SignatureDoesNotMatch');
        // A week and more is fine for SigV2 (Expires is an absolute time): no 7-day cap.
        const far = await raw('GET', s3v2Query(t, '/test-bundles/q/file.txt', Math.floor(Date.now() / 1000) + 30 * 86_400), {});
        expect(far.status).to.equal(200);
      });

      it(p.listV2 ? 'answers ListObjectsV2' : 'refuses ListObjectsV2 (501 NotImplemented) and pages ListObjects v1 by marker', async () => {
        for (const k of ['m/1', 'm/2', 'm/3']) t.sim.state.s3.put(t.sim.state.s3.buckets.get('test-bundles')!, k, Buffer.from(k), 'text/plain');
        const sign = (path: string) => (p.v2 ? s3v2(t, 'GET', path) : undefined);
        if (!p.v2) {
          const client = v4Client(t);
          const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
          expect((await client.send(new ListObjectsV2Command({ Bucket: 'test-bundles', Prefix: 'm/' }))).KeyCount).to.equal(3);
          client.destroy();
          return;
        }
        const v2 = await sign('/test-bundles?list-type=2&prefix=m/');
        expect(v2!.status).to.equal(501);
        expect(v2!.body).to.contain('<Code>NotImplemented</Code>');
        const page1 = await sign('/test-bundles?prefix=m/&max-keys=2');
        expect(page1!.body).to.contain('<IsTruncated>true</IsTruncated>').and.contain('<NextMarker>m/2</NextMarker>');
        const page2 = await sign('/test-bundles?prefix=m/&marker=m/2');
        expect(page2!.body).to.contain('<Key>m/3</Key>').and.contain('<IsTruncated>false</IsTruncated>').and.not.contain('<Key>m/2</Key>');
      });

      it(p.multiDelete ? 'deletes several objects in one POST ?delete' : 'refuses the multi-object delete (501 NotImplemented)', async () => {
        t.sim.state.s3.put(t.sim.state.s3.buckets.get('test-bundles')!, 'd/1', Buffer.from('x'), 'text/plain');
        const body = '<Delete><Object><Key>d/1</Key></Object></Delete>';
        let answer: Raw;
        if (p.v2) {
          answer = await s3v2(t, 'POST', '/test-bundles?delete', body, 'application/xml');
        } else {
          const client = v4Client(t);
          const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
          await client.send(new DeleteObjectsCommand({ Bucket: 'test-bundles', Delete: { Objects: [{ Key: 'd/1' }] } }));
          client.destroy();
          answer = { status: 200, body: '' };
        }
        if (p.multiDelete) {
          expect(answer.status).to.equal(200);
          expect(t.sim.state.s3.get('test-bundles', 'd/1')).to.equal(undefined);
        } else {
          expect(answer.status).to.equal(501);
          expect(answer.body).to.contain('<Code>NotImplemented</Code>');
          expect(t.sim.state.s3.get('test-bundles', 'd/1')).to.not.equal(undefined);
        }
      });

      it(p.ec2v2 ? 'accepts an EC2 query signed with SigV2 by Python' : 'refuses an EC2 query signed with SigV2', async () => {
        const url = new URL(t.sim.url);
        const params: Record<string, string> = {
          Action: 'DescribeAvailabilityZones', Version: '2013-02-01', AWSAccessKeyId: TEST_KEY.accessKeyId,
          SignatureMethod: 'HmacSHA256', SignatureVersion: '2', Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        };
        params['Signature'] = python(EC2_SIGN, [TEST_KEY.secretAccessKey, 'POST', url.host, '/', JSON.stringify(params)]);
        const answer = await raw('POST', `${t.sim.url}/`, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(params).toString());
        if (p.ec2v2) {
          expect(answer.status).to.equal(200);
          expect(answer.body).to.contain('<zoneName>zone-a</zoneName>');
          const bad = await raw('POST', `${t.sim.url}/`, { 'content-type': 'application/x-www-form-urlencoded' },
            new URLSearchParams({ ...params, Version: '2013-08-15' }).toString());
          expect(bad.status).to.be.oneOf([401, 403]);
        } else {
          expect(answer.status).to.equal(401);
          expect(answer.body).to.contain('AuthFailure');
        }
      });

      if (p.v4) {
        it('answers a SigV4 presigned URL valid for more than 7 days with a client error, not a 500', async () => {
          const client = v4Client(t);
          const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'test-bundles', Key: 'q/file.txt' }), { expiresIn: 3600 });
          client.destroy();
          const answer = await raw('GET', url.replace('X-Amz-Expires=3600', 'X-Amz-Expires=700000'), {});
          expect(answer.status).to.equal(400);
          expect(answer.body).to.contain('<Code>AuthorizationQueryParametersError</Code>');
        });
      }
    });
  }
});
