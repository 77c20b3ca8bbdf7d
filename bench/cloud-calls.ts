// Counts the simulator's EC2/S3 requests by action, and splits the Describe calls that poll for progress (by
// object id, no filter: what the batched or naive pollers send) from the flow's own calls (validation,
// adoption look-ups by filter, creates, tags), so the amortized polling overhead can be computed.
import type { Eucasim } from '../sim/server.ts';

const POLL_ACTIONS: Record<string, string> = {
  DescribeSnapshots: 'SnapshotId.1',
  DescribeImages: 'ImageId.1',
  DescribeBundleTasks: 'BundleId.1',
  DescribeConversionTasks: 'ConversionTaskId.1',
};

export interface CallCounter {
  byAction: Map<string, number>;
  poll: number;
  flow: number;
  reset(): void;
  snapshot(): { byAction: Record<string, number>; poll: number; flow: number; total: number };
}

export function countCalls(sim: Eucasim): CallCounter {
  const c: CallCounter = {
    byAction: new Map(),
    poll: 0,
    flow: 0,
    reset() {
      c.byAction.clear();
      c.poll = 0;
      c.flow = 0;
    },
    snapshot() {
      const byAction = Object.fromEntries([...c.byAction.entries()].sort(([a], [b]) => a.localeCompare(b)));
      return { byAction, poll: c.poll, flow: c.flow, total: c.poll + c.flow };
    },
  };
  const add = sim.log.add.bind(sim.log);
  sim.log.add = (entry) => {
    add(entry);
    c.byAction.set(entry.action, (c.byAction.get(entry.action) ?? 0) + 1);
    const idParam = POLL_ACTIONS[entry.action];
    const isPoll = idParam !== undefined && idParam in entry.params && !Object.keys(entry.params).some((k) => k.startsWith('Filter.'));
    if (isPoll) c.poll++;
    else c.flow++;
  };
  return c;
}
