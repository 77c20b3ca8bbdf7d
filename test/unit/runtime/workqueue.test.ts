import { expect } from 'chai';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';

/** A promise with its resolver, to hold a handler open until the test lets it finish. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves when `cond()` holds, polling each macrotask; rejects after `ms`. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('WorkQueue', () => {
  let queues: WorkQueue[] = [];
  const make = (...args: ConstructorParameters<typeof WorkQueue>): WorkQueue => {
    const q = new WorkQueue(...args);
    queues.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.shutDown(1000)));
    queues = [];
  });

  it('dedupes a key queued several times before it runs', async () => {
    const q = make();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.depth).to.equal(2);
    const seen: string[] = [];
    q.run(async (k) => {
      seen.push(k);
    });
    await until(() => seen.length === 2 && q.active === 0);
    expect(seen).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('never runs one key concurrently and re-runs it once if re-added while processing', async () => {
    const q = make({ concurrency: 4 });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const gate = deferred();
    q.run(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running--;
    });
    q.add('ns/a');
    await until(() => q.active === 1);
    q.add('ns/a');
    q.add('ns/a');
    expect(q.active).to.equal(1);
    gate.resolve();
    await until(() => runs === 2 && q.active === 0);
    expect(maxRunning).to.equal(1);
    expect(runs).to.equal(2);
  });

  it('bounds concurrency to the worker count', async () => {
    const q = make({ concurrency: 3 });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    q.run(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
      done++;
    });
    for (let i = 0; i < 10; i++) q.add(`ns/k${i}`);
    await until(() => q.active === 3);
    expect(q.depth).to.equal(7);
    gate.resolve();
    await until(() => done === 10);
    expect(maxRunning).to.equal(3);
  });

  it('addRateLimited doubles the delay per failure up to the cap, and forget resets it', () => {
    const q = make({ backoff: { baseMs: 10, capMs: 70, jitter: 0 } });
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited('ns/a'));
    expect(delays).to.deep.equal([10, 20, 40, 70, 70]);
    expect(q.numRequeues('ns/a')).to.equal(5);
    q.forget('ns/a');
    expect(q.numRequeues('ns/a')).to.equal(0);
    expect(q.addRateLimited('ns/a')).to.equal(10);
  });

  it('addRateLimited requeues the key after its backoff', async () => {
    const q = make({ backoff: { baseMs: 30, jitter: 0 } });
    const ran: number[] = [];
    q.run(async () => {
      ran.push(Date.now());
    });
    const t0 = Date.now();
    q.addRateLimited('ns/a');
    expect(q.delayedCount).to.equal(1);
    await until(() => ran.length === 1);
    expect((ran[0] as number) - t0).to.be.at.least(25);
  });

  it('retryFailedNow runs every backing-off key at once and resets its backoff (after an API-server outage)', async () => {
    const q = make({ backoff: { baseMs: 60_000, jitter: 0 } });
    const ran: string[] = [];
    q.run(async (k) => {
      ran.push(k);
    });
    for (let i = 0; i < 5; i++) q.addRateLimited('ns/a');
    q.addRateLimited('ns/b');
    expect(q.numRequeues('ns/a')).to.equal(5);
    expect(q.retryFailedNow().sort()).to.deep.equal(['ns/a', 'ns/b']);
    await until(() => ran.length === 2);
    expect(ran.sort()).to.deep.equal(['ns/a', 'ns/b']);
    expect(q.numRequeues('ns/a'), 'the next failure starts from the base delay').to.equal(0);
  });

  it('addAfter collapses to the earliest deadline', async () => {
    const q = make();
    const ran: string[] = [];
    q.run(async (k) => {
      ran.push(k);
    });
    const t0 = Date.now();
    q.addAfter('ns/a', 5000);
    q.addAfter('ns/a', 40);
    q.addAfter('ns/a', 3000);
    expect(q.delayedCount).to.equal(1);
    await until(() => ran.length === 1);
    const elapsed = Date.now() - t0;
    expect(elapsed).to.be.at.least(35).and.below(2000);
    expect(q.delayedCount).to.equal(0);
  });

  it('keeps queued keys while paused and processes them after run', async () => {
    const q = make();
    q.add('ns/a');
    const seen: string[] = [];
    const handler = async (k: string): Promise<void> => {
      seen.push(k);
    };
    q.run(handler);
    await until(() => seen.length === 1);
    await q.pause();
    q.add('ns/b');
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['ns/a']);
    expect(q.depth).to.equal(1);
    q.run(handler);
    await until(() => seen.length === 2);
  });

  it('reports depth through the hook', async () => {
    const depths: number[] = [];
    const q = make({ hooks: { depth: (d) => depths.push(d) } });
    q.add('ns/a');
    q.add('ns/b');
    expect(depths).to.deep.equal([1, 2]);
    let done = 0;
    q.run(async () => {
      done++;
    });
    await until(() => done === 2);
    expect(depths.at(-1)).to.equal(0);
  });

  it('shutDown waits for in-flight work, drops queued keys and refuses new ones', async () => {
    const q = make({ concurrency: 1 });
    const gate = deferred();
    let finished = 0;
    const started: string[] = [];
    q.run(async (k) => {
      started.push(k);
      await gate.promise;
      finished++;
    });
    q.add('ns/a');
    q.add('ns/b');
    q.addAfter('ns/c', 10);
    await until(() => started.length === 1);
    const stopping = q.shutDown();
    q.add('ns/d');
    expect(q.depth).to.equal(0);
    let stopped = false;
    void stopping.then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).to.equal(false);
    gate.resolve();
    expect(await stopping).to.equal(true);
    expect(finished).to.equal(1);
    expect(started).to.deep.equal(['ns/a']);
  });

  it('shutDown gives up at its deadline when work does not finish', async () => {
    const q = make();
    const gate = deferred();
    q.run(() => gate.promise);
    q.add('ns/a');
    await until(() => q.active === 1);
    expect(await q.shutDown(30)).to.equal(false);
    gate.resolve();
  });

  it('keeps going when a handler throws', async () => {
    const q = make();
    const seen: string[] = [];
    q.run(async (k) => {
      seen.push(k);
      if (k === 'ns/a') throw new Error('boom');
    });
    q.add('ns/a');
    q.add('ns/b');
    await until(() => seen.length === 2);
  });
});
