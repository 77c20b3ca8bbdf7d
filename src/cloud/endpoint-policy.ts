// Which endpoint addresses the operator may call on a tenant's behalf. A CloudProfile is written by a tenant,
// so without a policy its endpoint turns the operator into a probe of the cluster's own network: the
// instance metadata service, loopback admin ports, link-local services. The administrator lists the allowed
// hosts and CIDRs (--allowed-endpoints); with no list every address but the restricted ranges is allowed.
// The check runs twice: on the URL before any call (literal addresses, and names resolved once), and inside
// the sockets' DNS lookup, so a name that later resolves elsewhere (DNS rebinding) is refused as well.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Loopback, link-local (which holds the EC2/OpenStack/Azure metadata address), unspecified and EC2's IPv6 metadata address. */
const RESTRICTED: ReadonlyArray<[string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'], ['169.254.0.0', 16, 'ipv4'], ['0.0.0.0', 8, 'ipv4'], ['100.100.100.200', 32, 'ipv4'],
  ['::1', 128, 'ipv6'], ['fe80::', 10, 'ipv6'], ['::', 128, 'ipv6'], ['fd00:ec2::254', 128, 'ipv6'],
];

export class EndpointRefusedError extends Error {
  readonly code = 'EENDPOINTREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'EndpointRefusedError';
  }
}

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
/** `::ffff:127.0.0.1` is 127.0.0.1 for every purpose here. */
const unmap = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

export class EndpointPolicy {
  readonly entries: readonly string[];
  private readonly nets = new BlockList();
  private readonly hosts: string[] = [];
  private readonly suffixes: string[] = [];
  private readonly restricted = new BlockList();

  constructor(allowed: readonly string[] = []) {
    this.entries = allowed;
    for (const e of allowed) {
      const [addr, bits] = e.split('/');
      if (isIP(addr!)) {
        const fam = family(addr!);
        this.nets.addSubnet(addr!, bits === undefined ? (fam === 'ipv6' ? 128 : 32) : Number(bits), fam);
      } else if (e.startsWith('*.')) {
        this.suffixes.push(e.slice(1).toLowerCase());
      } else {
        this.hosts.push(e.toLowerCase());
      }
    }
    for (const [addr, bits, fam] of RESTRICTED) this.restricted.addSubnet(addr, bits, fam);
  }

  /** True when a host name is listed by name (then whatever it resolves to is the administrator's choice). */
  private hostListed(host: string): boolean {
    const h = host.toLowerCase();
    return this.hosts.includes(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  /** Whether `host` (as written in the URL) may be reached at `address`. */
  allows(host: string, address: string): boolean {
    const a = unmap(address);
    if (this.hostListed(host) || this.nets.check(a, family(a))) return true;
    if (this.entries.length > 0) return false;
    return !this.restricted.check(a, family(a));
  }

  /** Refuses a URL whose host is, or resolves to, an address outside the policy. */
  async check(url: string): Promise<void> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new EndpointRefusedError(`${url} has no host`);
    const addresses = isIP(host) ? [host] : (await dnsLookupAsync(host, { all: true }).catch(() => [] as LookupAddress[])).map((x) => x.address);
    // An unresolvable name is left to the call itself, which reports it like any unreachable endpoint. A name
    // with some allowed addresses passes: the sockets' lookup hands out only those.
    if (addresses.length && !addresses.some((a) => this.allows(host, a))) throw new EndpointRefusedError(this.explain(host));
  }

  explain(host: string): string {
    return this.entries.length
      ? `endpoint host ${host} is not among the hosts and networks the operator's administrator allows (--allowed-endpoints)`
      : `endpoint host ${host} is a loopback, link-local or metadata address, which the operator refuses unless its administrator allows it (--allowed-endpoints)`;
  }

  /** A socket `lookup` that hands out only allowed addresses, for the HTTP agents of one cloud. */
  lookup(): LookupFunction {
    return ((hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const ok = (addresses as LookupAddress[]).filter((a) => this.allows(hostname, a.address));
        if (!ok.length) return callback(new EndpointRefusedError(this.explain(hostname)), '', 0);
        if ((options as { all?: boolean }).all) return callback(null, ok);
        return callback(null, ok[0]!.address, ok[0]!.family);
      });
    }) as LookupFunction;
  }
}
