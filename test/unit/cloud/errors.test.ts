import { expect } from 'chai';
import { classify, CloudError, errorCode, type CloudErrorKind } from '../../../src/cloud/errors.ts';

/** An error shaped like the ones @aws-sdk clients throw. */
function sdkError(code: string, status: number | undefined, message = 'msg', withCode = true): Error {
  const e = new Error(message) as Error & Record<string, unknown>;
  e.name = code;
  if (withCode) e.Code = code;
  e.$fault = status !== undefined && status >= 500 ? 'server' : 'client';
  if (status !== undefined) e.$metadata = { httpStatusCode: status, attempts: 1 };
  return e;
}

function netError(code: string, message: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

const TABLE: Array<[string, Error, CloudErrorKind, string]> = [
  ['RequestLimitExceeded', sdkError('RequestLimitExceeded', 503), 'throttled', 'RequestLimitExceeded'],
  ['RequestLimitExceeded on 400', sdkError('RequestLimitExceeded', 400), 'throttled', 'RequestLimitExceeded'],
  ['Throttling', sdkError('Throttling', 400), 'throttled', 'Throttling'],
  ['S3 503 SlowDown', sdkError('SlowDown', 503, 'Please reduce your request rate.'), 'throttled', 'SlowDown'],
  ['HTTP 429', sdkError('TooManyRequests', 429), 'throttled', 'TooManyRequests'],
  ['500 InternalError', sdkError('InternalError', 500, 'boom'), 'retryable', 'InternalError'],
  ['502 unknown', sdkError('UnknownError', 502), 'retryable', 'UnknownError'],
  ['503 ServiceUnavailable', sdkError('ServiceUnavailable', 503), 'retryable', 'ServiceUnavailable'],
  ['SDK timeout', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }), 'retryable', 'TimeoutError'],
  ['connection reset', netError('ECONNRESET', 'read ECONNRESET'), 'retryable', 'ECONNRESET'],
  ['connection refused', netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'retryable', 'ECONNREFUSED'],
  ['socket hang up', new Error('socket hang up'), 'retryable', 'Unknown'],
  ['InvalidInstanceID.NotFound', sdkError('InvalidInstanceID.NotFound', 400), 'notFound', 'InvalidInstanceID.NotFound'],
  ['InvalidSnapshot.NotFound', sdkError('InvalidSnapshot.NotFound', 400), 'notFound', 'InvalidSnapshot.NotFound'],
  ['InvalidAMIID.NotFound', sdkError('InvalidAMIID.NotFound', 400), 'notFound', 'InvalidAMIID.NotFound'],
  ['S3 NoSuchBucket', sdkError('NoSuchBucket', 404), 'notFound', 'NoSuchBucket'],
  ['S3 HEAD 404 without code', sdkError('NotFound', 404, 'UnknownError', false), 'notFound', 'NotFound'],
  ['AuthFailure', sdkError('AuthFailure', 401), 'auth', 'AuthFailure'],
  ['SignatureDoesNotMatch', sdkError('SignatureDoesNotMatch', 403), 'auth', 'SignatureDoesNotMatch'],
  ['InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 403), 'auth', 'InvalidAccessKeyId'],
  ['UnauthorizedOperation', sdkError('UnauthorizedOperation', 403), 'auth', 'UnauthorizedOperation'],
  ['Client.UnauthorizedOperation', sdkError('Client.UnauthorizedOperation', 403), 'auth', 'UnauthorizedOperation'],
  ['bare 403', sdkError('Forbidden', 403), 'auth', 'Forbidden'],
  ['InvalidParameterValue', sdkError('InvalidParameterValue', 400), 'terminal', 'InvalidParameterValue'],
  ['Eucalyptus " InvalidParameterValue"', sdkError(' InvalidParameterValue', 400), 'terminal', 'InvalidParameterValue'],
  ['InvalidAMIName.Duplicate', sdkError('InvalidAMIName.Duplicate', 400), 'terminal', 'InvalidAMIName.Duplicate'],
  ['IncorrectInstanceState', sdkError('IncorrectInstanceState', 400), 'terminal', 'IncorrectInstanceState'],
  ['uncoded Eucalyptus fault', sdkError('EucalyptusError', 400, 'Failed to bundle requested vm'), 'terminal', 'EucalyptusError'],
];

describe('cloud/errors classify', () => {
  for (const [label, err, kind, code] of TABLE) {
    it(`${label} -> ${kind}`, () => {
      const c = classify(err, 'TestAction');
      expect(c).to.be.instanceOf(CloudError);
      expect(c.kind).to.equal(kind);
      expect(c.code).to.equal(code);
      expect(c.action).to.equal('TestAction');
      expect(c.cause).to.equal(err);
    });
  }

  it('keeps the HTTP status', () => {
    expect(classify(sdkError('AuthFailure', 401), 'X').httpStatus).to.equal(401);
    expect(classify(netError('ECONNRESET', 'reset'), 'X').httpStatus).to.equal(undefined);
  });

  it('passes a CloudError through unchanged', () => {
    const c = new CloudError('auth', 'AuthFailure', 'no', 'A', 401);
    expect(classify(c, 'B')).to.equal(c);
  });

  it('trims the Eucalyptus leading space from codes', () => {
    expect(errorCode({ name: ' InvalidParameterValue', Code: ' InvalidParameterValue' })).to.equal('InvalidParameterValue');
  });

  it('decides Eucalyptus uncoded failures (HTTP 406, code <Action>Type) from the call, the status and the message', () => {
    const euca = (action: string, message: string) => classify(sdkError(`${action}Type`, 406, message), action);
    const gone = euca('CancelBundleTask', 'Failed to find bundle task: bun-0000ABCD');
    expect([gone.kind, gone.code, gone.httpStatus]).to.deep.equal(['notFound', 'InvalidBundleID.NotFound', 406]);
    expect(gone.message).to.contain('Failed to find bundle task').and.contain('CancelBundleTaskType');
    expect([euca('CancelBundleTask', "Can't cancel bundle task when the bundle task is complete").code]).to.deep.equal(['IncorrectState']);
    const stopped = euca('BundleInstance', "Failed to bundle requested vm because it is not currently 'running': i-1");
    expect([stopped.kind, stopped.code]).to.deep.equal(['terminal', 'IncorrectInstanceState']);
    // Another bundle of the instance is running: a wait, not a refusal.
    const busy = euca('BundleInstance', 'Instance is already being bundled: bun-1');
    expect([busy.kind, busy.code]).to.deep.equal(['retryable', 'BundlingInProgress']);
    expect(euca('BundleInstance', "Failed to bundle requested vm because the platform is not 'windows'").code).to.equal('UnsupportedOperation');
    // An uncoded refusal nobody described: terminal, with the cloud's code kept.
    const other = euca('CreateImage', 'something else went wrong');
    expect([other.kind, other.code]).to.deep.equal(['terminal', 'CreateImageType']);
    // 406 with another action's type is not this call's uncoded failure.
    expect(classify(sdkError('BundleInstanceType', 406, 'x'), 'CancelBundleTask').code).to.equal('BundleInstanceType');
  });

  it('classifies the status-line codes by their HTTP status', () => {
    const refused = classify(sdkError('403 Forbidden', 403, 'Failure to authenticate'), 'DescribeInstances');
    // EC2's code for it, so a CloudProfile reads CredentialsRejected rather than an endpoint that gave no answer.
    expect([refused.kind, refused.code]).to.deep.equal(['auth', 'AuthFailure']);
    const unbound = classify(sdkError('400 Bad Request', 400, 'Failed to bind the following fields:\nMaxResults'), 'DescribeSnapshots');
    expect([unbound.kind, unbound.code]).to.deep.equal(['terminal', 'InvalidParameter']);
  });
});
