import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A small lab network on this machine: hosts (a server host and several client hosts, or the
 * multi-host layout of multi-host.ts), each a network namespace with its own address, joined
 * by veth pairs to a bridge in a "switch" namespace. The host itself is joined too, so tests can reach the lab hosts. Addresses are
 * from 198.18.0.0/15, the range set aside for network testing (RFC 2544): no real network.
 */
export interface LabHost {
  name: string;
  namespace: string;
  address: string;
}

/** Any layout of lab hosts. */
export interface LabNetwork {
  id: string;
  /** Every host of the layout, each a namespace. */
  hosts: LabHost[];
  /** The address of this machine on the lab network. */
  hostAddress: string;
}

export interface Lab extends LabNetwork {
  server: LabHost;
  clients: LabHost[];
}

const SUBNET = '198.18.7';

/** A host of a lab: its namespace is `ID-NAME`, its address `SUBNET.OCTET`. */
export const labHost = (id: string, subnet: string, name: string, octet: number): LabHost => ({
  name,
  namespace: `${id}-${name}`,
  address: `${subnet}.${octet}`,
});

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function describeLab(id: string, clients: number): Lab {
  const server = labHost(id, SUBNET, 'server', 1);
  const clientHosts = Array.from({ length: clients }, (_, i) =>
    labHost(id, SUBNET, `client${i + 1}`, 11 + i),
  );
  return {
    id,
    server,
    clients: clientHosts,
    hosts: [server, ...clientHosts],
    hostAddress: `${SUBNET}.254`,
  };
}

/** The hosts of a lab whose namespace exists (iproute2 names them in /run/netns/). */
export function hostsUp(lab: LabNetwork): LabHost[] {
  return lab.hosts.filter((host) => existsSync(`/run/netns/${host.namespace}`));
}

/** Whether this machine lets us make namespaces (root and iproute2); the reason when not. */
export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the ip command (iproute2) is not installed';
  }
  const probe = `smprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (error) {
    return `this kernel or sandbox refuses network namespaces (${(error as Error).message.split('\n')[0] ?? ''})`;
  }
  return undefined;
}

/** Short interface names (at most 15 bytes): a tag per host. */
const ifname = (lab: LabNetwork, index: number, side: 'a' | 'b'): string =>
  `sm${lab.id.slice(-6)}${index}${side}`.slice(0, 15);

export function labUp(lab: LabNetwork): void {
  labDown(lab);
  const switchNs = `${lab.id}-switch`;
  ip('netns', 'add', switchNs);
  ip('-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', switchNs, 'link', 'set', 'br0', 'up');
  ip('-n', switchNs, 'link', 'set', 'lo', 'up');
  lab.hosts.forEach((host, index) => {
    const inner = ifname(lab, index, 'a');
    const outer = ifname(lab, index, 'b');
    ip('netns', 'add', host.namespace);
    ip('-n', host.namespace, 'link', 'set', 'lo', 'up');
    ip('link', 'add', inner, 'type', 'veth', 'peer', 'name', outer);
    ip('link', 'set', inner, 'netns', host.namespace);
    ip('link', 'set', outer, 'netns', switchNs);
    ip('-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', inner);
    ip('-n', host.namespace, 'link', 'set', inner, 'up');
    ip('-n', switchNs, 'link', 'set', outer, 'master', 'br0');
    ip('-n', switchNs, 'link', 'set', outer, 'up');
  });
  // This machine's own leg on the lab network.
  const inner = ifname(lab, 99, 'a');
  const outer = ifname(lab, 99, 'b');
  ip('link', 'add', inner, 'type', 'veth', 'peer', 'name', outer);
  ip('link', 'set', outer, 'netns', switchNs);
  ip('addr', 'add', `${lab.hostAddress}/24`, 'dev', inner);
  ip('link', 'set', inner, 'up');
  ip('-n', switchNs, 'link', 'set', outer, 'master', 'br0');
  ip('-n', switchNs, 'link', 'set', outer, 'up');
}

export function labDown(lab: LabNetwork): void {
  for (const namespace of [`${lab.id}-switch`, ...lab.hosts.map((host) => host.namespace)]) {
    try {
      ip('netns', 'del', namespace);
    } catch {
      // Not there.
    }
  }
  try {
    ip('link', 'del', ifname(lab, 99, 'a'));
  } catch {
    // Gone with the switch namespace.
  }
}

/** The command line that runs a program on a lab host. */
export function onHost(host: LabHost, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', host.namespace, command, ...args]];
}
