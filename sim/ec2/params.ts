// Reading EC2 query parameters: scalars, `Name.N` lists, `Filter.N.Name/Value.M`, tag and mapping structures.
import { SimError, missing } from '../errors.ts';
import type { Filters } from '../filters.ts';
import type { BlockDeviceMapping } from '../model.ts';

export class Params {
  readonly raw: Record<string, string>;

  constructor(raw: Record<string, string>) {
    this.raw = raw;
  }

  get(name: string): string | undefined {
    const v = this.raw[name];
    return v === undefined ? undefined : v;
  }

  require(name: string): string {
    const v = this.raw[name];
    if (v === undefined || v === '') throw missing(name);
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    throw new SimError('InvalidParameterValue', `Value (${v}) for parameter ${name} is invalid. Expected: 'true' or 'false'.`);
  }

  int(name: string): number | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new SimError('InvalidParameterValue', `Value (${v}) for parameter ${name} is invalid. Expected an integer.`);
    return Number(v);
  }

  /** Values of `Prefix.1`, `Prefix.2`, ... in index order. */
  list(prefix: string): string[] {
    return this.indexed(prefix).map(([, v]) => v);
  }

  /** The distinct N of `Prefix.N.*` / `Prefix.N`, sorted. */
  indexes(prefix: string): number[] {
    const seen = new Set<number>();
    const re = new RegExp(`^${escape(prefix)}\\.(\\d+)(\\.|$)`);
    for (const key of Object.keys(this.raw)) {
      const m = re.exec(key);
      if (m) seen.add(Number(m[1]));
    }
    return [...seen].sort((a, b) => a - b);
  }

  filters(): Filters {
    const filters: Filters = new Map();
    for (const n of this.indexes('Filter')) {
      const name = this.raw[`Filter.${n}.Name`];
      if (!name) throw missing(`Filter.${n}.Name`);
      const values = this.list(`Filter.${n}.Value`);
      filters.set(name, [...(filters.get(name) ?? []), ...values]);
    }
    return filters;
  }

  /** `Tag.N.Key/Value` (CreateTags, DeleteTags: value may be absent). */
  tags(prefix = 'Tag'): { key: string; value: string | undefined }[] {
    return this.indexes(prefix).map((n) => {
      const key = this.raw[`${prefix}.${n}.Key`];
      if (key === undefined) throw missing(`${prefix}.${n}.Key`);
      return { key, value: this.raw[`${prefix}.${n}.Value`] };
    });
  }

  /** `TagSpecification.N.{ResourceType,Tag.M.*}`. */
  tagSpecifications(): { resourceType: string; tags: { key: string; value: string }[] }[] {
    return this.indexes('TagSpecification').map((n) => ({
      resourceType: this.raw[`TagSpecification.${n}.ResourceType`] ?? '',
      tags: this.tags(`TagSpecification.${n}.Tag`).map((t) => ({ key: t.key, value: t.value ?? '' })),
    }));
  }

  blockDeviceMappings(): BlockDeviceMapping[] {
    return this.indexes('BlockDeviceMapping').map((n) => {
      const p = `BlockDeviceMapping.${n}.`;
      const deviceName = this.raw[`${p}DeviceName`];
      if (!deviceName) throw new SimError('InvalidBlockDeviceMapping', 'A block device mapping parameter is not valid');
      const bdm: BlockDeviceMapping = { deviceName };
      const virtualName = this.raw[`${p}VirtualName`];
      if (virtualName) bdm.virtualName = virtualName;
      if (this.raw[`${p}NoDevice`] !== undefined) bdm.noDevice = true;
      const ebsKeys = Object.keys(this.raw).filter((k) => k.startsWith(`${p}Ebs.`));
      if (ebsKeys.length > 0) {
        const snapshotId = this.raw[`${p}Ebs.SnapshotId`];
        const size = this.raw[`${p}Ebs.VolumeSize`];
        const dot = this.raw[`${p}Ebs.DeleteOnTermination`];
        const type = this.raw[`${p}Ebs.VolumeType`];
        if (size !== undefined && !/^\d+$/.test(size)) {
          throw new SimError('InvalidBlockDeviceMapping', 'A block device mapping parameter is not valid');
        }
        bdm.ebs = {
          ...(snapshotId ? { snapshotId } : {}),
          ...(size !== undefined ? { volumeSize: Number(size) } : {}),
          ...(dot !== undefined ? { deleteOnTermination: /^true$/i.test(dot) } : {}),
          ...(type ? { volumeType: type } : {}),
        };
      }
      return bdm;
    });
  }

  private indexed(prefix: string): [number, string][] {
    const out: [number, string][] = [];
    const re = new RegExp(`^${escape(prefix)}\\.(\\d+)$`);
    for (const [key, value] of Object.entries(this.raw)) {
      const m = re.exec(key);
      if (m) out.push([Number(m[1]), value]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Turns `InstanceId.N` style patterns into a matcher for parameter names. */
export function paramMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${escape(p).replace(/\\\.N(?=\\\.|$)/g, '\\.\\d+').replace(/\\\*/g, '.*')}$`));
  return (name) => res.some((re) => re.test(name));
}
