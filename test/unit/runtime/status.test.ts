import { expect } from 'chai';
import { ApiException } from '@kubernetes/client-node';
import { addFinalizerPatch, isConflict, isNotFound, removeFinalizerPatch } from '../../../src/runtime/status.ts';
import { resourcePath } from '../../../src/runtime/rest.ts';

describe('finalizer patches', () => {
  const obj = (finalizers?: string[]) => ({ metadata: { name: 'x', namespace: 'n', resourceVersion: '42', ...(finalizers && { finalizers }) } });

  it('adds with the read resourceVersion as precondition, keeping other finalizers', () => {
    expect(addFinalizerPatch(obj(), 'a/f')).to.deep.equal({ metadata: { resourceVersion: '42', finalizers: ['a/f'] } });
    expect(addFinalizerPatch(obj(['other']), 'a/f')).to.deep.equal({ metadata: { resourceVersion: '42', finalizers: ['other', 'a/f'] } });
    expect(addFinalizerPatch(obj(['a/f']), 'a/f')).to.equal(null);
  });

  it('removes only ours', () => {
    expect(removeFinalizerPatch(obj(['other', 'a/f']), 'a/f')).to.deep.equal({ metadata: { resourceVersion: '42', finalizers: ['other'] } });
    expect(removeFinalizerPatch(obj(['other']), 'a/f')).to.equal(null);
  });

  it('refuses to patch an object that was not read from the server', () => {
    expect(() => addFinalizerPatch({ metadata: { name: 'x' } }, 'a/f')).to.throw(/resourceVersion/);
  });

  it('classifies conflicts and not-found', () => {
    expect(isConflict(new ApiException(409, 'x', {}, {}))).to.equal(true);
    expect(isConflict(new ApiException(422, 'x', {}, {}))).to.equal(false);
    expect(isNotFound(new ApiException(404, 'x', {}, {}))).to.equal(true);
    expect(isNotFound(Object.assign(new Error('x'), { statusCode: 404 }))).to.equal(true);
    expect(isNotFound(new Error('x'))).to.equal(false);
  });

  it('builds core and group paths', () => {
    expect(resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: 'n', name: 's' })).to.equal('/api/v1/namespaces/n/secrets/s');
    expect(resourcePath({ apiVersion: 'g.io/v1', plural: 'ws' }, 'status')).to.equal('/apis/g.io/v1/ws/status');
  });
});
