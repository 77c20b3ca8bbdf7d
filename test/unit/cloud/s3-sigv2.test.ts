// The S3 SigV2 signer: the string to sign and signature of the S3 REST authentication example, the Authorization
// header it puts on an SDK request (checked against Python's hmac), and the classification of a refused scheme.
import { HttpRequest } from '@smithy/protocol-http';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { classify } from '../../../src/cloud/errors.ts';
import { S3SigV2Signer, signature, stringToSign } from '../../../src/cloud/s3-sigv2.ts';

const PY_HMAC_SHA1 = 'import base64,hashlib,hmac,sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())';
const pySign = (secret: string, text: string) => execFileSync('python3', ['-c', PY_HMAC_SHA1, secret, text], { encoding: 'utf8' }).trim();

const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('S3 SigV2 signer', () => {
  it('matches the S3 REST authentication example (GET /johnsmith/photos/puppy.jpg)', () => {
    const text = stringToSign('GET', {}, 'Tue, 27 Mar 2007 19:36:42 +0000', '/johnsmith/photos/puppy.jpg');
    expect(text).to.equal('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
    expect(signature(KEY.secretAccessKey, text)).to.equal('bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  });

  it('signs an SDK request with Date, x-amz-* headers and the delete sub-resource; Python agrees', async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const signer = new S3SigV2Signer(KEY, () => now);
    const req = new HttpRequest({
      method: 'POST', hostname: 'walrus', path: '/services/Walrus/bundles', query: { delete: '', 'x-id': 'DeleteObjects' },
      headers: { 'Content-Type': 'application/xml', 'Content-MD5': 'abc==', 'x-amz-date': 'stale', 'X-Amz-Meta-B': ' two ', 'x-amz-acl': 'private' },
    });
    const signed = await signer.sign(req);
    expect(signed.headers['date']).to.equal('Fri, 02 Jan 2026 03:04:05 GMT');
    expect(signed.headers['x-amz-date']).to.equal(undefined);
    const expectedText = 'POST\nabc==\napplication/xml\nFri, 02 Jan 2026 03:04:05 GMT\nx-amz-acl:private\nx-amz-meta-b:two\n/services/Walrus/bundles?delete';
    expect(signed.headers['authorization']).to.equal(`AWS ${KEY.accessKeyId}:${pySign(KEY.secretAccessKey, expectedText)}`);
  });

  it('classifies a refused signature scheme apart from refused credentials', () => {
    const s3Error = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
    const scheme = classify(s3Error('AccessDenied', 'Invalid authorization header', 403), 'ListObjects');
    expect([scheme.kind, scheme.code]).to.deep.equal(['terminal', 'SignatureSchemeRejected']);
    const awsScheme = classify(s3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.', 400), 'ListObjects');
    expect(awsScheme.code).to.equal('SignatureSchemeRejected');
    const creds = classify(s3Error('InvalidAccessKeyId', 'The AWS access key id X does not exist', 403), 'ListObjects');
    expect([creds.kind, creds.code]).to.deep.equal(['auth', 'InvalidAccessKeyId']);
    const denied = classify(s3Error('AccessDenied', 'Access Denied', 403), 'ListObjects');
    expect(denied.kind).to.equal('auth');
  });
});
