// The key the operator signs its create checkpoints with (controllers/shared/create-calls.ts). It lives in a
// Secret in the operator's own namespace, which tenants cannot read: made with 32 random bytes on the first start
// and read on every later one, so checkpoints written before a restart still verify. Replicas starting together
// race to create it; the loser reads the winner's.
import { randomBytes } from 'node:crypto';
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { kubeRequest, resourcePath, statusCodeOf } from './rest.ts';

export const CHECKPOINT_KEY_FIELD = 'hmac-sha256-key';
const KEY_BYTES = 32;

export async function loadCheckpointKey(kubeConfig: KubeConfig, namespace: string, name: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const secret = await kubeRequest<V1Secret>(kubeConfig, 'GET', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name }));
      const encoded = secret.data?.[CHECKPOINT_KEY_FIELD];
      const key = encoded ? Buffer.from(encoded, 'base64') : undefined;
      if (!key || key.length < KEY_BYTES) {
        throw new Error(`Secret ${namespace}/${name} has no ${KEY_BYTES}-byte key ${CHECKPOINT_KEY_FIELD}: delete it and the operator makes a new one (checkpoints signed with the old key no longer prove anything)`);
      }
      return key;
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
    }
    try {
      const key = randomBytes(KEY_BYTES);
      await kubeRequest(kubeConfig, 'POST', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace }), {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'eucalyptus-image-operator', 'app.kubernetes.io/component': 'checkpoint-key' } },
          type: 'Opaque',
          data: { [CHECKPOINT_KEY_FIELD]: key.toString('base64') },
        },
      });
      return key;
    } catch (err) {
      if (statusCodeOf(err) !== 409) throw err; // another replica made it first: read theirs
    }
  }
  throw new Error(`Secret ${namespace}/${name}: neither readable nor creatable`);
}
