// Availability zones: the cheapest signed call, used to check that the cloud accepts the credentials.
import { DescribeAvailabilityZonesCommand } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';

/** The zone names the credentials can see; a refused signature or key fails here first. */
export async function describeAvailabilityZones(gw: CloudGateway): Promise<string[]> {
  const out = await gw.send(new DescribeAvailabilityZonesCommand({}));
  return (out.AvailabilityZones ?? []).map((z) => z.ZoneName).filter((z): z is string => !!z);
}
