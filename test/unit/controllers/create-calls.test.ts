// The signed create checkpoints: only the operator's key makes an entry that verifies, for this resource, this
// call, these parameters, this time and this result id; a copy, an edit or a guess verifies as nothing.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CreateCall } from '../../../src/api/types.ts';
import { CreateCallSigner } from '../../../src/controllers/shared/create-calls.ts';

function target(uid = 'uid-1', createCalls?: CreateCall[]) {
  return { obj: { metadata: { uid } }, status: { ...(createCalls ? { createCalls } : {}) } as { createCalls?: CreateCall[] } };
}

describe('create checkpoints (CreateCallSigner)', () => {
  const key = randomBytes(32);
  const signer = new CreateCallSigner(key);
  const params = ['i-12345678', 'web-image'];
  const at = new Date('2026-01-02T03:04:05.678Z');

  it('records the call before it is sent and verifies it with its time', () => {
    const t = target();
    expect(signer.pending(t, 'CreateImage', params, at)).to.equal(true);
    expect(t.status.createCalls).to.have.length(1);
    expect(signer.verified(t, 'CreateImage', params)).to.deep.equal({ at });
    // A retry keeps the first checkpoint: nothing to write.
    expect(signer.pending(t, 'CreateImage', params, new Date(at.getTime() + 60_000))).to.equal(false);
    expect(signer.verified(t, 'CreateImage', params)!.at).to.deep.equal(at);
  });

  it('adds the result id, keeping the checkpoint time', () => {
    const t = target();
    signer.pending(t, 'RegisterImage', params, at);
    signer.succeeded(t, 'RegisterImage', params, 'emi-0A1B2C3D', new Date(at.getTime() + 5_000));
    expect(signer.verified(t, 'RegisterImage', params)).to.deep.equal({ at, id: 'emi-0A1B2C3D' });
    expect(t.status.createCalls).to.have.length(1);
  });

  it('proves nothing when forged, edited, copied to another resource or signed by another key', () => {
    const t = target();
    signer.pending(t, 'CreateImage', params, at);
    signer.succeeded(t, 'CreateImage', params, 'emi-0A1B2C3D');
    const entry = t.status.createCalls![0]!;
    // Another image id, an earlier time, or a signature made up.
    expect(signer.verified(target('uid-1', [{ ...entry, id: 'emi-FFFFFFFF' }]), 'CreateImage', params)).to.equal(undefined);
    expect(signer.verified(target('uid-1', [{ ...entry, at: '2020-01-01T00:00:00.000Z' }]), 'CreateImage', params)).to.equal(undefined);
    expect(signer.verified(target('uid-1', [{ ...entry, signature: 'ab'.repeat(32) }]), 'CreateImage', params)).to.equal(undefined);
    expect(signer.verified(target('uid-1', [{ ...entry, signature: 'not hex' }]), 'CreateImage', params)).to.equal(undefined);
    // The same entry on another resource, for another call, or with other parameters.
    expect(signer.verified(target('uid-2', [entry]), 'CreateImage', params)).to.equal(undefined);
    expect(signer.verified(target('uid-1', [{ ...entry, call: 'RegisterImage' }]), 'RegisterImage', params)).to.equal(undefined);
    expect(signer.verified(target('uid-1', [entry]), 'CreateImage', ['i-12345678', 'other-name'])).to.equal(undefined);
    // Another operator install's key.
    expect(new CreateCallSigner(randomBytes(32)).verified(target('uid-1', [entry]), 'CreateImage', params)).to.equal(undefined);
    // The genuine entry still verifies.
    expect(signer.verified(target('uid-1', [entry]), 'CreateImage', params)).to.deep.equal({ at, id: 'emi-0A1B2C3D' });
  });

  it('replaces an entry that does not verify when the call is about to be made again', () => {
    const t = target('uid-1', [{ call: 'CreateImage', at: '2020-01-01T00:00:00.000Z', signature: 'ab'.repeat(32) }]);
    expect(signer.pending(t, 'CreateImage', params, at)).to.equal(true);
    expect(signer.verified(t, 'CreateImage', params)).to.deep.equal({ at });
    expect(t.status.createCalls).to.have.length(1);
  });
});
