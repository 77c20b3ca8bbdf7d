import { expect } from 'chai';
import { FreshObjects } from '../../../src/controllers/shared/fresh-objects.ts';

const obj = (rv: string, extra: object = {}) => ({ metadata: { name: 'a', namespace: 'n', resourceVersion: rv, ...extra } });

describe('fresh objects over a lagging cache', () => {
  it('prefers our own newer write until the cache catches up', () => {
    const f = new FreshObjects();
    f.record('n/a', obj('12'));
    expect(f.pick('n/a', obj('10'))?.metadata?.resourceVersion).to.equal('12');
    expect(f.pick('n/a', obj('12'))?.metadata?.resourceVersion).to.equal('12');
    expect(f.size).to.equal(0);
  });

  it('honours a deletion seen by the cache and a vanished object', () => {
    const f = new FreshObjects();
    f.record('n/a', obj('12'));
    expect(f.pick('n/a', obj('11', { deletionTimestamp: 'now' }))?.metadata?.resourceVersion).to.equal('11');
    f.record('n/a', obj('13'));
    expect(f.pick('n/a', undefined)).to.equal(undefined);
  });
});
