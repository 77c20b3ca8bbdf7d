// CreateTags, DeleteTags, DescribeTags (filters key, value, resource-id, resource-type).
import { SimError } from '../errors.ts';
import { matchesAny } from '../filters.ts';
import { resourceTypeOf } from '../ids.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, findImage, findInstance, findSnapshot, findVolume, paginate } from './context.ts';

/** The tag map of a resource the caller may tag; unknown prefixes are `InvalidID` (TagManager). */
function taggable(ctx: Ec2Context, id: string): Map<string, string> {
  switch (resourceTypeOf(id)) {
    case 'instance': return findInstance(ctx, id).tags;
    case 'volume': return findVolume(ctx, id).tags;
    case 'snapshot': return findSnapshot(ctx, id).tags;
    case 'image': return findImage(ctx, id, true).tags;
    default: throw new SimError('InvalidID', `The ID '${id}' is not valid`);
  }
}

function createTags(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('ResourceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter ResourceId');
  const tags = ctx.params.tags();
  if (tags.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter Tag');
  for (const t of tags) {
    if (t.key.length === 0 || t.key.length > 127) throw new SimError('InvalidParameterValue', `Tag key exceeds the maximum length of 127 characters`);
    if (t.key.startsWith('aws:')) throw new SimError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    if ((t.value ?? '').length > 255) throw new SimError('InvalidParameterValue', `Tag value exceeds the maximum length of 255 characters`);
  }
  const maps = ids.map((id) => taggable(ctx, id));
  for (const map of maps) for (const t of tags) map.set(t.key, t.value ?? '');
  return { return: true };
}

function deleteTags(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('ResourceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter ResourceId');
  const tags = ctx.params.tags();
  const maps = ids.map((id) => taggable(ctx, id));
  for (const map of maps) {
    if (tags.length === 0) map.clear();
    for (const t of tags) if (t.value === undefined || map.get(t.key) === t.value) map.delete(t.key);
  }
  return { return: true };
}

interface TagRow { resourceId: string; resourceType: string; key: string; value: string }

function describeTags(ctx: Ec2Context): XmlObject {
  const me = ctx.account.accountId;
  const filters = ctx.params.filters();
  for (const name of filters.keys()) {
    if (!['key', 'value', 'resource-id', 'resource-type'].includes(name)) {
      throw new SimError('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
  }
  const rows: TagRow[] = [];
  const add = (resourceId: string, resourceType: string, tags: Map<string, string>) => {
    for (const [key, value] of tags) rows.push({ resourceId, resourceType, key, value });
  };
  const ids = filters.get('resource-id');
  const st = ctx.state;
  // With exact resource ids, look them up instead of scanning every resource.
  if (ids && !ids.some((v) => /[*?]/.test(v))) {
    for (const id of ids) {
      const r = st.instances.get(id) ?? st.volumes.get(id) ?? st.snapshots.get(id) ?? st.images.get(id);
      const type = resourceTypeOf(id);
      if (r && type && r.ownerId === me) add(id, type, r.tags);
    }
  } else {
    for (const i of st.instances.values()) if (i.ownerId === me && i.state !== 'terminated') add(i.id, 'instance', i.tags);
    for (const v of st.volumes.values()) if (v.ownerId === me) add(v.id, 'volume', v.tags);
    for (const s of st.snapshots.values()) if (s.ownerId === me) add(s.id, 'snapshot', s.tags);
    for (const m of st.images.values()) if (m.ownerId === me && m.state !== 'deregistered') add(m.id, 'image', m.tags);
  }
  const field: Record<string, (r: TagRow) => string> = {
    key: (r) => r.key, value: (r) => r.value, 'resource-id': (r) => r.resourceId, 'resource-type': (r) => r.resourceType,
  };
  const matching = rows.filter((r) => [...filters].every(([name, wanted]) => matchesAny(field[name]!(r), wanted)));
  const { page, nextToken } = paginate(ctx, matching);
  return { tagSet: itemSet(page.map((r) => ({ ...r }))), nextToken };
}

export const TAG_ACTIONS: Record<string, ActionDef> = {
  CreateTags: { params: ['ResourceId.N', 'Tag.N.Key', 'Tag.N.Value'], handler: createTags },
  DeleteTags: { params: ['ResourceId.N', 'Tag.N.Key', 'Tag.N.Value'], handler: deleteTags },
  DescribeTags: { params: ['Filter.N.Name', 'Filter.N.Value.N', 'MaxResults', 'NextToken'], handler: describeTags },
};
