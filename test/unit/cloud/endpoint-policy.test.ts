import { expect } from 'chai';
import { EndpointPolicy } from '../../../src/cloud/endpoint-policy.ts';

describe('cloud/endpoint-policy', () => {
  it('by default refuses loopback, link-local, metadata and unspecified addresses, and allows the rest', () => {
    const p = new EndpointPolicy();
    for (const a of ['127.0.0.1', '127.5.5.5', '169.254.169.254', '169.254.1.1', '0.0.0.0', '::1', 'fe80::1', '::', 'fd00:ec2::254', '::ffff:127.0.0.1', '100.100.100.200']) {
      expect(p.allows('x', a), a).to.equal(false);
    }
    for (const a of ['10.0.0.5', '192.168.1.10', '203.0.113.7', '2001:db8::1']) expect(p.allows('x', a), a).to.equal(true);
  });

  it('with a list allows only listed hosts, suffixes and networks (and those even on restricted addresses)', () => {
    const p = new EndpointPolicy(['ec2.cloud.example', '*.euca.example', '10.1.0.0/16', '127.0.0.0/8']);
    expect(p.allows('ec2.cloud.example', '10.9.9.9')).to.equal(true);
    expect(p.allows('a.euca.example', '192.168.0.1')).to.equal(true);
    expect(p.allows('other.example', '10.1.2.3')).to.equal(true);
    expect(p.allows('other.example', '10.2.0.1')).to.equal(false);
    expect(p.allows('other.example', '127.0.0.1')).to.equal(true);
    expect(p.allows('other.example', '169.254.169.254')).to.equal(false);
  });

  it('checks literal and resolved hosts of a URL with a reason naming the policy', async () => {
    const p = new EndpointPolicy();
    await p.check('http://169.254.169.254/latest/meta-data/').then(() => expect.fail('allowed'), (e: Error) => expect(e.message).to.match(/link-local or metadata/));
    await p.check('http://[::1]:8773/').then(() => expect.fail('allowed'), (e: Error) => expect(e.message).to.match(/::1/));
    await p.check('http://localhost:8773/').then(() => expect.fail('allowed'), (e: Error) => expect(e.message).to.match(/localhost/));
    await new EndpointPolicy(['127.0.0.0/8', '::1']).check('http://localhost:8773/');
    await new EndpointPolicy(['10.0.0.0/8']).check('http://127.0.0.1/').then(() => expect.fail('allowed'), (e: Error) => expect(e.message).to.match(/--allowed-endpoints/));
  });
});
