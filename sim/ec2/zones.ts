// DescribeAvailabilityZones and DescribeRegions: one region (the simulator's) and the fixture's zones.
import { matchesAny } from '../filters.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import type { ActionDef, Ec2Context } from './context.ts';

function describeAvailabilityZones(ctx: Ec2Context): XmlObject {
  const names = ctx.params.list('ZoneName');
  const filters = ctx.params.filters();
  const zones = ctx.state.zones.filter((z) => (names.length === 0 || names.includes(z))
    && [...filters].every(([name, wanted]) => matchesAny(
      name === 'zone-name' ? z : name === 'region-name' ? ctx.state.region : name === 'state' ? 'available' : undefined, wanted)));
  return {
    availabilityZoneInfo: itemSet(zones.map((zoneName) => ({
      zoneName, zoneState: 'available', regionName: ctx.state.region, messageSet: '',
    }))),
  };
}

function describeRegions(ctx: Ec2Context): XmlObject {
  const names = ctx.params.list('RegionName');
  const region = ctx.state.region;
  const show = names.length === 0 || names.includes(region);
  return { regionInfo: itemSet(show ? [{ regionName: region, regionEndpoint: ctx.state.endpointHost }] : []) };
}

export const ZONE_ACTIONS: Record<string, ActionDef> = {
  DescribeAvailabilityZones: {
    params: ['ZoneName.N', 'ZoneId.N', 'AllAvailabilityZones', 'Filter.N.Name', 'Filter.N.Value.N'],
    handler: describeAvailabilityZones,
  },
  DescribeRegions: { params: ['RegionName.N', 'AllRegions', 'Filter.N.Name', 'Filter.N.Value.N'], handler: describeRegions },
};
