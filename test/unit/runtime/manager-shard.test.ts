// A shard's informers: the manager adds its shard selector to every cache that asks for it (the operator's own
// kinds), next to the cache's own selector, and leaves the others (CloudProfiles) whole. Nothing is started.
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../../../src/runtime/informer.ts';
import { InformerGroup } from '../../../src/runtime/informer-group.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { createLogger } from '../../../src/runtime/logger.ts';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  return kc;
}

const selectorOf = (cache: unknown) => (cache instanceof InformerGroup ? cache.informers[0]! : cache as Informer).options.labelSelector;

describe('manager: shard selectors', () => {
  const log = createLogger({ level: 'silent' });
  const spec = { apiVersion: 'imaging.eucalyptus.dev/v1alpha1', plural: 'imagecaptures' };

  it("adds the shard's selector to sharded caches only, after the cache's own selector", () => {
    const m = new Manager({ kubeConfig: kubeConfig(), log, shardSelector: 'imaging.eucalyptus.dev/shard=a' });
    expect(selectorOf(m.informer({ ...spec, sharded: true }))).to.equal('imaging.eucalyptus.dev/shard=a');
    expect(selectorOf(m.informer({ ...spec, sharded: true, labelSelector: 'team=web' }))).to.equal('team=web,imaging.eucalyptus.dev/shard=a');
    expect(selectorOf(m.informer({ ...spec, plural: 'cloudprofiles' }))).to.equal(undefined);
  });

  it('shares one cache between the controllers asking for the same sharded kind', () => {
    const m = new Manager({ kubeConfig: kubeConfig(), log, namespaces: ['n1', 'n2'], shardSelector: '!imaging.eucalyptus.dev/shard' });
    const a = m.informer({ ...spec, sharded: true });
    expect(m.informer({ ...spec, sharded: true })).to.equal(a);
    expect(selectorOf(a)).to.equal('!imaging.eucalyptus.dev/shard');
    expect(m.informer(spec)).to.not.equal(a);
  });
});
