// EC2 Query API dispatch: action lookup, API version, unknown-parameter policy, handler, XML answer.
import { SimError } from '../errors.ts';
import type { Account } from '../model.ts';
import { SUPPORTED_VERSIONS } from '../profiles.ts';
import type { SimState } from '../state.ts';
import { ec2Error, ec2Response } from '../xml.ts';
import { BUNDLE_ACTIONS } from './bundles.ts';
import { type ActionDef, COMMON_PARAMS } from './context.ts';
import { IMAGE_ATTRIBUTE_ACTIONS } from './image-attributes.ts';
import { IMAGE_ACTIONS } from './images.ts';
import { IMPORT_ACTIONS } from './imports.ts';
import { INSTANCE_ACTIONS } from './instances.ts';
import { Params, paramMatcher } from './params.ts';
import { RUN_ACTIONS } from './run-instances.ts';
import { SECURITY_GROUP_ACTIONS } from './security-groups.ts';
import { SNAPSHOT_ACTIONS } from './snapshots.ts';
import { TAG_ACTIONS } from './tags.ts';
import { VOLUME_ACTIONS } from './volumes.ts';
import { ZONE_ACTIONS } from './zones.ts';

export const EC2_ACTIONS: Record<string, ActionDef> = {
  ...INSTANCE_ACTIONS, ...VOLUME_ACTIONS, ...SNAPSHOT_ACTIONS, ...IMAGE_ACTIONS, ...TAG_ACTIONS, ...ZONE_ACTIONS,
  ...BUNDLE_ACTIONS, ...IMPORT_ACTIONS, ...IMAGE_ATTRIBUTE_ACTIONS, ...RUN_ACTIONS, ...SECURITY_GROUP_ACTIONS,
};

const VERSION_RE = /^\d{4}-\d\d-\d\d$/;

/** A binding error, raised while the request is read: NioServerHandler.sendError puts the status line in <Code>. */
function bindingError(fields: string): SimError {
  return new SimError('400 Bad Request', `Failed to bind the following fields:\n${fields}`, 400);
}

type Matcher = (name: string) => boolean;
const matchers = new Map<string, Matcher>();

/** Accepted parameter names for an action under a profile (TagSpecification only where the profile has it). */
function matcherFor(state: SimState, action: string, def: ActionDef): Matcher {
  const key = `${state.profile.tagSpecifications}:${state.profile.eucalyptus}:${action}`;
  let m = matchers.get(key);
  if (!m) {
    // MaxResults/NextToken are not fields of the Eucalyptus Describe request types (F§11).
    const own = def.params.filter((p) => (state.profile.tagSpecifications || !p.startsWith('TagSpecification'))
      && !(state.profile.eucalyptus && (p === 'MaxResults' || p === 'NextToken')));
    m = paramMatcher([...COMMON_PARAMS, ...own]);
    matchers.set(key, m);
  }
  return m;
}

export interface Ec2Answer {
  status: number;
  body: string;
  code?: string;
}

export function ec2ErrorAnswer(err: SimError, requestId: string): Ec2Answer {
  return { status: err.status, body: ec2Error(err.code, err.message, requestId), code: err.code };
}

export async function handleEc2(state: SimState, account: Account, raw: Record<string, string>, requestId: string): Promise<Ec2Answer> {
  const action = raw['Action'] ?? '';
  try {
    if (!action) throw new SimError('MissingAction', 'The request must contain the parameter Action');
    const def = EC2_ACTIONS[action];
    if (!def) throw new SimError('InvalidAction', `The action ${action} is not valid for this web service.`);
    const version = raw['Version'];
    if (!version) throw new SimError('MissingParameter', 'The request must contain the parameter Version');
    if (state.profile.eucalyptus) {
      // Any dated version is answered with the newest binding in that namespace (RestfulMarshallingHandler, F§11).
      if (!VERSION_RE.test(version)) throw bindingError(`Version=${version}`);
    } else if (!SUPPORTED_VERSIONS.has(version)) {
      throw new SimError('NoSuchVersion', `An unknown or unsupported API version was requested: ${version}`);
    }
    if (state.profile.unknownParameters === 'error') {
      const accepts = matcherFor(state, action, def);
      const unknown = Object.keys(raw).filter((k) => !accepts(k));
      if (unknown.length > 0) throw bindingError(unknown.join('\n'));
    }
    const params = new Params(raw);
    if (params.bool('DryRun')) throw new SimError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    const body = await def.handler({ state, account, params, action, version, requestId });
    return { status: 200, body: ec2Response(action, version, requestId, body) };
  } catch (err) {
    if (err instanceof SimError) return ec2ErrorAnswer(err, requestId);
    const message = err instanceof Error ? err.message : String(err);
    return ec2ErrorAnswer(new SimError('InternalError', `eucasim: ${message}`, 500), requestId);
  }
}
