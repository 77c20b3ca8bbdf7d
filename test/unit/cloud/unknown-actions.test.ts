import { expect } from 'chai';
import { CloudError } from '../../../src/cloud/errors.ts';
import { UNKNOWN_ACTION_ANSWERS, UnknownActionAnswers } from '../../../src/cloud/unknown-actions.ts';

const html500 = (action: string) => new CloudError('retryable', 'Unknown', `${action}: Unknown: <html>500</html>\nmore`, action, 500);

describe('unusable answers to actions whose capability is unknown', () => {
  it('become a terminal UnusableAnswer after a bounded number in a row, naming the action and the answer', () => {
    const a = new UnknownActionAnswers();
    a.unknown = ['createImage'];
    for (let i = 1; i < UNKNOWN_ACTION_ANSWERS; i++) expect(a.judge('CreateImage', html500('CreateImage')).kind).to.equal('retryable');
    const refused = a.judge('CreateImage', html500('CreateImage'));
    expect(refused).to.include({ kind: 'terminal', code: 'UnusableAnswer', action: 'CreateImage', httpStatus: 500 });
    expect(refused.message).to.equal('CreateImage: UnusableAnswer: the cloud answered CreateImage 3 times in a row with no usable answer, last HTTP 500 (CreateImage: Unknown: <html>500</html>); capability createImage is unknown (its probe got no usable answer either), so the cloud is taken to lack CreateImage: set spec.capabilities.createImage on the CloudProfile to decide');
  });

  it('a known capability, a network failure, throttling or a real answer in between never count', () => {
    const a = new UnknownActionAnswers();
    a.unknown = ['bundleLinux'];
    for (let i = 0; i < 5; i++) expect(a.judge('CreateImage', html500('CreateImage')).kind).to.equal('retryable');
    const network = new CloudError('retryable', 'ECONNRESET', 'BundleInstance: ECONNRESET: reset', 'BundleInstance');
    const throttled = new CloudError('throttled', 'RequestLimitExceeded', 'BundleInstance: RequestLimitExceeded: slow', 'BundleInstance', 503);
    const validation = new CloudError('terminal', 'InvalidParameterValue', 'BundleInstance: InvalidParameterValue: x', 'BundleInstance', 400);
    a.judge('BundleInstance', html500('BundleInstance'));
    a.judge('BundleInstance', html500('BundleInstance'));
    for (const e of [network, throttled]) expect(a.judge('BundleInstance', e)).to.equal(e);
    expect(a.judge('BundleInstance', validation)).to.equal(validation); // the action exists: the streak restarts
    a.judge('BundleInstance', html500('BundleInstance'));
    expect(a.judge('BundleInstance', html500('BundleInstance')).kind).to.equal('retryable');
    a.succeeded('BundleInstance');
    a.judge('BundleInstance', html500('BundleInstance'));
    expect(a.judge('BundleInstance', html500('BundleInstance')).kind).to.equal('retryable');
    expect(a.judge('BundleInstance', html500('BundleInstance')).code).to.equal('UnusableAnswer');
  });
});
