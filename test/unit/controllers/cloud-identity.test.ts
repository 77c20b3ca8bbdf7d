import { expect } from 'chai';
import { compareIdentity, credentialsId, identityOf, normalEndpoint } from '../../../src/controllers/shared/cloud-identity.ts';
import type { CloudSettings } from '../../../src/cloud/settings.ts';

const settings = (over: Partial<CloudSettings> = {}): CloudSettings => ({
  id: 'ns/cloud', ec2Endpoint: 'https://EC2.Example.org:8773/services/compute/', region: 'eucalyptus',
  credentials: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'secret' }, rateLimit: { qps: 10, burst: 20 }, ...over,
});

describe('cloud identity', () => {
  it('spells an endpoint one way and never holds the key', () => {
    expect(normalEndpoint('https://EC2.Example.org:8773/services/compute/')).to.equal('https://ec2.example.org:8773/services/compute');
    const id = identityOf(settings(), '000100020003');
    expect(id).to.deep.equal({ endpoint: 'https://ec2.example.org:8773/services/compute', region: 'eucalyptus', accountId: '000100020003', credentials: credentialsId('AKIDEMOEUCALYPTUS000') });
    expect(JSON.stringify(id)).not.to.include('AKIDEMO').and.not.to.include('secret');
    expect(id.credentials).to.match(/^sha256:[0-9a-f]{16}$/);
  });

  it('another endpoint or region is another cloud; another key at the same endpoint needs the account', () => {
    const recorded = identityOf(settings(), '000100020003');
    expect(compareIdentity(recorded, identityOf(settings({ ec2Endpoint: 'https://ec2.example.org:8773/services/compute' })))).to.equal('same');
    expect(compareIdentity(recorded, identityOf(settings({ ec2Endpoint: 'https://other.example.org:8773/services/compute' })))).to.equal('otherCloud');
    expect(compareIdentity(recorded, identityOf(settings({ region: 'other' })))).to.equal('otherCloud');
    expect(compareIdentity(recorded, identityOf(settings({ credentials: { accessKeyId: 'AKIROTATED', secretAccessKey: 'x' } })))).to.equal('otherKey');
  });
});
