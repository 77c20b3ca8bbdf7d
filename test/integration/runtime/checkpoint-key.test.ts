// The key create checkpoints are signed with: made once in the operator's namespace, read back by every later
// start (and by replicas starting together), refused clearly when the Secret holds no usable key.
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { CHECKPOINT_KEY_FIELD, loadCheckpointKey } from '../../../src/runtime/checkpoint-key.ts';
import { getEnv, type TestEnv } from '../../env/index.ts';

describe('checkpoint key Secret', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let core: CoreV1Api;
  before(async () => {
    env = await getEnv();
    core = env.kubeConfig.makeApiClient(CoreV1Api);
  });

  it('is created with 32 random bytes on the first start and read back by later starts and concurrent replicas', async () => {
    const ns = await env.newNamespace('ckey');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => loadCheckpointKey(env.kubeConfig, ns, 'op-checkpoint-key')));
    expect(a).to.have.length(32);
    expect(b!.equals(a!) && c!.equals(a!), 'replicas starting together share one key').to.equal(true);
    const again = await loadCheckpointKey(env.kubeConfig, ns, 'op-checkpoint-key');
    expect(again.equals(a!), 'a restart reads the same key').to.equal(true);
    const secret = await core.readNamespacedSecret({ name: 'op-checkpoint-key', namespace: ns });
    expect(Buffer.from(secret.data![CHECKPOINT_KEY_FIELD]!, 'base64').equals(a!)).to.equal(true);
    const other = await loadCheckpointKey(env.kubeConfig, await env.newNamespace('ckey'), 'op-checkpoint-key');
    expect(other.equals(a!), 'another install has its own key').to.equal(false);
  });

  it('a Secret of that name without a usable key stops the start with what to do', async () => {
    const ns = await env.newNamespace('ckey');
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'op-checkpoint-key' }, stringData: { [CHECKPOINT_KEY_FIELD]: 'short' } } });
    let err: Error | undefined;
    await loadCheckpointKey(env.kubeConfig, ns, 'op-checkpoint-key').catch((e: Error) => (err = e));
    expect(err?.message).to.match(new RegExp(`Secret ${ns}/op-checkpoint-key has no 32-byte key ${CHECKPOINT_KEY_FIELD}: delete it`));
  });
});
