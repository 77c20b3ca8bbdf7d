// The calls every capture and bundle makes before anything else, tried on each CloudProfile check so a profile is
// Ready only when they work: DescribeInstances (the source instance) and DescribeImages of the account (the image
// name check, adoption after a crash). Each asks for something no account holds, so the answer is small. No
// MaxResults: Eucalyptus 3.4 and 4.0 refuse it as an unknown parameter (3.3 ignores it).
import { DescribeImagesCommand, DescribeInstancesCommand } from './ec2-sdk.ts';
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';

/** A filter value no instance id or image name can have (`:` and spaces are outside both alphabets). */
const NOTHING = 'readiness check: matches nothing';

/** The call every flow needs that the cloud refused, and its answer. */
export class FlowCallRefused extends Error {
  readonly call: string;
  constructor(call: string, cause: CloudError) {
    super(`the cloud refused ${call}, which every capture and bundle needs: ${cause.message}`, { cause });
    this.name = 'FlowCallRefused';
    this.call = call;
  }
}

/**
 * Sends each call once. A transient failure (5xx, throttling, network) is rethrown as it is (its message names the
 * action) for the caller's backoff; any other answer becomes a FlowCallRefused naming the call.
 */
export async function checkFlowCalls(gw: CloudGateway): Promise<string[]> {
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['DescribeInstances', () => gw.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [NOTHING] }] }))],
    ['DescribeImages', () => gw.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [NOTHING] }] }))],
  ];
  for (const [name, send] of calls) {
    try {
      await send();
    } catch (err) {
      if (err instanceof CloudError && (err.kind === 'retryable' || err.kind === 'throttled')) throw err;
      throw new FlowCallRefused(name, err instanceof CloudError ? err : new CloudError('terminal', 'Unknown', String((err as Error)?.message ?? err), name));
    }
  }
  return calls.map(([name]) => name);
}
