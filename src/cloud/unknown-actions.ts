// Flows try an action whose capability no probe could establish. A cloud that lacks an action does not always say
// so with InvalidAction: moto answers an HTML 500 page. Such an unusable answer (a 5xx, or a body that is not an EC2
// answer), repeated for an action whose capability is unknown, is taken as the cloud refusing it: after
// UNKNOWN_ACTION_ANSWERS of them in a row the call fails as terminal (`UnusableAnswer`, stalled as
// UnsupportedByCloud) with the action and what came back. An action whose capability is known (detected or set in
// spec.capabilities) keeps treating 5xx as transient, and a failure without an HTTP answer never counts.
import { CloudError } from './errors.ts';

/** The capabilities an action belongs to: it is "unknown" when any of them is. */
const CAPABILITIES_OF_ACTION: Record<string, readonly string[]> = {
  CreateImage: ['createImage'],
  BundleInstance: ['bundleLinux', 'bundleEbs'],
  DescribeBundleTasks: ['bundleLinux', 'bundleEbs'],
  CancelBundleTask: ['bundleLinux', 'bundleEbs'],
};

export const UNKNOWN_ACTION_ANSWERS = 3;
export const UNUSABLE_ANSWER_CODE = 'UnusableAnswer';

function unusableAnswer(err: CloudError): boolean {
  if (err.kind === 'throttled' || err.httpStatus === undefined) return false;
  return err.httpStatus >= 500 || err.code === 'Unknown' || /deserializ|parse error/i.test(err.message);
}

/** Counts, per action, the unusable answers in a row for one cloud (one per gateway). */
export class UnknownActionAnswers {
  /** Capabilities the last detection could not establish. */
  unknown: readonly string[] = [];
  private readonly streak = new Map<string, number>();

  succeeded(action: string): void {
    this.streak.delete(action);
  }

  /** The error to throw for a failed call: `err` itself, or the terminal refusal once the streak is long enough. */
  judge(action: string, err: CloudError): CloudError {
    const caps = (CAPABILITIES_OF_ACTION[action] ?? []).filter((c) => this.unknown.includes(c));
    if (caps.length === 0) return err;
    if (!unusableAnswer(err)) {
      this.streak.delete(action);
      return err;
    }
    const n = (this.streak.get(action) ?? 0) + 1;
    this.streak.set(action, n);
    if (n < UNKNOWN_ACTION_ANSWERS) return err;
    const what = `HTTP ${err.httpStatus} (${err.message.split('\n')[0]!.slice(0, 200)})`;
    return new CloudError('terminal', UNUSABLE_ANSWER_CODE,
      `${action}: ${UNUSABLE_ANSWER_CODE}: the cloud answered ${action} ${n} times in a row with no usable answer, last ${what}; `
      + `capability ${caps.join('/')} is unknown (its probe got no usable answer either), so the cloud is taken to lack ${action}: `
      + `set spec.capabilities.${caps[0]} on the CloudProfile to decide`, action, err.httpStatus, err);
  }
}
