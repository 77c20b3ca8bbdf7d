import { expect } from 'chai';
import { BatchPoller, isNotFound } from '../../../src/cloud/pollers.ts';

interface Obj { id: string; state: string; progress?: number }

/** A fake cloud: a table of objects and a log of Describe calls. */
function fakeCloud(opts: { failWholeBatchOnMissing?: boolean; nameMissing?: boolean } = {}) {
  const objects = new Map<string, Obj>();
  const calls: string[][] = [];
  const describe = async (ids: string[]): Promise<Obj[]> => {
    calls.push(ids);
    const missing = ids.filter((id) => !objects.has(id));
    if (opts.failWholeBatchOnMissing && missing.length > 0) {
      const e = new Error(opts.nameMissing ? `The snapshot '${missing.join(',')}' does not exist.` : 'not found');
      Object.assign(e, { name: 'InvalidSnapshot.NotFound', $metadata: { httpStatusCode: 400 } });
      throw e;
    }
    return ids.filter((id) => objects.has(id)).map((id) => ({ ...objects.get(id)! }));
  };
  return { objects, calls, describe };
}

function makePoller(cloud: ReturnType<typeof fakeCloud>, woken: string[], extra: Partial<ConstructorParameters<typeof BatchPoller<Obj>>[0]> = {}) {
  return new BatchPoller<Obj>({
    kind: 'snapshots', describe: cloud.describe, idOf: (o) => o.id, changeKey: (o) => `${o.state}/${o.progress}`,
    onChange: (k) => woken.push(k), manual: true, ...extra,
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before deadline');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('cloud/pollers BatchPoller', () => {
  it('sends one Describe per 200 watched ids per tick', async () => {
    const cloud = fakeCloud();
    const woken: string[] = [];
    const p = makePoller(cloud, woken);
    for (let i = 0; i < 450; i++) {
      cloud.objects.set(`snap-${i}`, { id: `snap-${i}`, state: 'pending', progress: 0 });
      p.watch(`snap-${i}`, `ns/cap-${i}`);
    }
    await p.tick();
    expect(cloud.calls.map((c) => c.length)).to.deep.equal([200, 200, 50]);
    expect(woken).to.have.length(450); // first sight of each object
    expect(p.get('snap-7')).to.deep.equal({ id: 'snap-7', state: 'pending', progress: 0 });
  });

  it('wakes only keys whose object changed state or progress', async () => {
    const cloud = fakeCloud();
    const woken: string[] = [];
    const p = makePoller(cloud, woken);
    for (const id of ['a', 'b', 'c']) {
      cloud.objects.set(id, { id, state: 'pending', progress: 0 });
      p.watch(id, `key-${id}`);
    }
    p.watch('a', 'key-shared');
    await p.tick();
    woken.length = 0;
    cloud.objects.get('a')!.progress = 50;
    cloud.objects.get('c')!.state = 'completed';
    await p.tick();
    expect(woken.sort()).to.deep.equal(['key-a', 'key-c', 'key-shared']);
    woken.length = 0;
    await p.tick();
    expect(woken).to.deep.equal([]);
  });

  it('reports missing ids as not found only after the grace period', async () => {
    let clock = 1000;
    const cloud = fakeCloud();
    const woken: string[] = [];
    const p = makePoller(cloud, woken, { now: () => clock, notFoundGraceMs: 5000 });
    p.watch('snap-new', 'k');
    await p.tick();
    expect(p.get('snap-new')).to.equal(undefined);
    expect(woken).to.deep.equal([]);
    clock += 5000;
    await p.tick();
    expect(isNotFound(p.get('snap-new'))).to.equal(true);
    expect(woken).to.deep.equal(['k']);
    await p.tick();
    expect(woken).to.deep.equal(['k']); // reported once
  });

  it('a late-appearing object is not reported missing', async () => {
    let clock = 0;
    const cloud = fakeCloud();
    const woken: string[] = [];
    const p = makePoller(cloud, woken, { now: () => clock, notFoundGraceMs: 5000 });
    p.watch('x', 'k');
    await p.tick();
    clock += 3000;
    cloud.objects.set('x', { id: 'x', state: 'pending' });
    await p.tick();
    clock += 10_000;
    await p.tick();
    expect(p.get('x')).to.deep.equal({ id: 'x', state: 'pending' });
  });

  it('isolates ids that fail a whole batch with *.NotFound (named in the message)', async () => {
    const cloud = fakeCloud({ failWholeBatchOnMissing: true, nameMissing: true });
    const woken: string[] = [];
    const p = makePoller(cloud, woken, { notFoundGraceMs: 0 });
    for (const id of ['s1', 's2', 's3']) cloud.objects.set(id, { id, state: 'pending' });
    for (const id of ['s1', 's2', 's3', 'gone']) p.watch(id, `k-${id}`);
    await p.tick();
    expect(cloud.calls).to.deep.equal([['s1', 's2', 's3', 'gone'], ['s1', 's2', 's3']]);
    expect(isNotFound(p.get('gone'))).to.equal(true);
    expect(p.get('s2')).to.deep.equal({ id: 's2', state: 'pending' });
  });

  it('bisects a failing batch when the message names no id', async () => {
    const cloud = fakeCloud({ failWholeBatchOnMissing: true, nameMissing: false });
    const p = makePoller(cloud, [], { notFoundGraceMs: 0 });
    for (const id of ['a', 'b', 'c', 'd']) { cloud.objects.set(id, { id, state: 'pending' }); p.watch(id, id); }
    p.watch('zz', 'zz');
    await p.tick();
    expect(isNotFound(p.get('zz'))).to.equal(true);
    expect(p.get('a')).to.deep.equal({ id: 'a', state: 'pending' });
    expect(cloud.calls.length).to.be.at.most(6);
  });

  it('backs off while nothing changes, snaps back on a new watch, backs off harder when throttled', async () => {
    const cloud = fakeCloud();
    const p = makePoller(cloud, [], { minIntervalMs: 100, maxIntervalMs: 1000, backoffFactor: 2 });
    cloud.objects.set('a', { id: 'a', state: 'pending' });
    p.watch('a', 'k');
    await p.tick(); // first sight is a change
    expect(p.intervalMs).to.equal(100);
    await p.tick();
    expect(p.intervalMs).to.equal(200);
    await p.tick();
    await p.tick();
    await p.tick();
    expect(p.intervalMs).to.equal(1000);
    p.watch('b', 'k2');
    expect(p.intervalMs).to.equal(100);

    const errors: string[] = [];
    const throttled = new BatchPoller<Obj>({
      kind: 't', idOf: (o) => o.id, onChange: () => {}, manual: true, minIntervalMs: 100, maxIntervalMs: 5000,
      onError: (e) => errors.push(e.kind),
      describe: async () => { throw Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }); },
    });
    throttled.watch('a', 'k');
    await throttled.tick();
    expect(errors).to.deep.equal(['throttled']);
    expect(throttled.intervalMs).to.equal(400);
  });

  it('unwatch forgets ids nobody waits for', async () => {
    const cloud = fakeCloud();
    const p = makePoller(cloud, []);
    p.watch('a', 'k1');
    p.watch('a', 'k2');
    p.watch('b', 'k1');
    p.unwatch('k1');
    expect(p.watchedIds).to.equal(1);
    await p.tick();
    expect(cloud.calls).to.deep.equal([['a']]);
    p.unwatch('k2');
    await p.tick();
    expect(cloud.calls).to.have.length(1);
  });

  it('polls on its own timer and stops', async () => {
    const cloud = fakeCloud();
    const woken: string[] = [];
    const p = makePoller(cloud, woken, { manual: false, minIntervalMs: 10, maxIntervalMs: 20 });
    cloud.objects.set('a', { id: 'a', state: 'pending' });
    p.watch('a', 'k');
    await until(() => woken.includes('k'));
    cloud.objects.get('a')!.state = 'completed';
    woken.length = 0;
    await until(() => woken.includes('k'));
    expect(p.get('a')).to.deep.include({ state: 'completed' });
    p.stop();
    const n = cloud.calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(cloud.calls.length).to.be.at.most(n + 1); // a tick already in flight may finish
  });
});
