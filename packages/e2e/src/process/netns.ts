/**
 * "Site" and "global" as separate network namespaces: the global servers and the gateway stay in the root namespace,
 * the site worker runs in its own namespace joined to it by a veth pair, with a private hosts file
 * (`/etc/netns/<ns>/hosts`, bind-mounted by `ip netns exec`) that resolves the gateway FQDNs to the gateway address.
 * The servers listen on 127.0.0.1 only, so from the site namespace the gateway is the only way in — like a real site.
 * Needs root and iproute2; `probe()` says why not when it cannot work, and the tier falls back to loopback.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { step } from '../log.js';
import { systemBin } from '../paths.js';
import { onExit } from './supervisor.js';

const PREFIX = 'us-e2e-';

function ip(args: string[]): string {
  return execFileSync(systemBin('ip'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function probe(): string | undefined {
  if (process.env.UNDERSTACK_E2E_NETNS === '0') return 'disabled by UNDERSTACK_E2E_NETNS=0';
  if (process.getuid?.() !== 0) return 'not running as root';
  let name = '';
  try {
    systemBin('ip');
    name = `${PREFIX}probe-${process.pid}`;
    ip(['netns', 'add', name]);
    ip(['netns', 'exec', name, 'true']);
    return undefined;
  } catch (error) {
    return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    if (name)
      try {
        ip(['netns', 'del', name]);
      } catch {
        /* never created */
      }
  }
}

/** Removes namespaces left by runs whose process is gone (a killed run cannot clean up after itself). */
export function sweepStale(): void {
  let list = '';
  try {
    list = ip(['netns', 'list']);
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = name.match(/^us-e2e-(?:probe-)?(\d+)/);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive && pid !== process.pid) continue;
    if (pid === process.pid) continue;
    try {
      ip(['netns', 'del', name]);
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

/** A 10.213.<octet>.0/30 no other interface uses (concurrent runs on one machine must not share the veth subnet). */
function freeOctet(preferred: number): number {
  let used = '';
  try {
    used = ip(['-4', '-o', 'addr', 'show']);
  } catch {
    return preferred;
  }
  for (let i = 0; i < 250; i++) {
    const o = (preferred + i) % 250;
    if (!used.includes(`10.213.${o}.`)) return o;
  }
  return preferred;
}

/** Several tiers may live in one process (a test file bringing up a second one): each gets its own names. */
let nextIndex = 0;

export class SiteNetns {
  readonly name: string;
  readonly hostIf: string;
  readonly siteIf: string;
  /** The gateway's address as the site sees it (root-namespace end of the veth pair). */
  readonly gatewayAddress: string;
  readonly siteAddress: string;
  private removeHook?: () => void;

  constructor(index = nextIndex++) {
    const id = `${process.pid % 100000}${index}`;
    this.name = `${PREFIX}${process.pid}-${index}`;
    this.hostIf = `use${id}g`.slice(0, 15);
    this.siteIf = `use${id}s`.slice(0, 15);
    const octet = freeOctet((process.pid + index * 7) % 250);
    this.gatewayAddress = `10.213.${octet}.1`;
    this.siteAddress = `10.213.${octet}.2`;
  }

  create(hosts: Record<string, string>): void {
    sweepStale();
    step(`network namespace ${this.name} (site ${this.siteAddress} -> gateway ${this.gatewayAddress})`);
    this.removeHook = onExit(() => this.destroy());
    ip(['netns', 'add', this.name]);
    ip(['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.siteIf]);
    ip(['link', 'set', this.siteIf, 'netns', this.name]);
    ip(['addr', 'add', `${this.gatewayAddress}/30`, 'dev', this.hostIf]);
    ip(['link', 'set', this.hostIf, 'up']);
    const inNs = (args: string[]) => ip(['netns', 'exec', this.name, systemBin('ip'), ...args]);
    inNs(['addr', 'add', `${this.siteAddress}/30`, 'dev', this.siteIf]);
    inNs(['link', 'set', this.siteIf, 'up']);
    inNs(['link', 'set', 'lo', 'up']);
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    const lines = ['127.0.0.1 localhost', ...Object.entries(hosts).map(([h, a]) => `${a} ${h}`), ''];
    writeFileSync(`/etc/netns/${this.name}/hosts`, lines.join('\n'));
  }

  /** argv prefixed to run inside the site namespace. */
  wrap(argv: string[]): string[] {
    return [systemBin('ip'), 'netns', 'exec', this.name, ...argv];
  }

  /** Cuts (down) or restores (up) the site<->global link. */
  setLink(up: boolean): void {
    step(`link ${this.hostIf} ${up ? 'up' : 'down'}`);
    ip(['link', 'set', this.hostIf, up ? 'up' : 'down']);
  }

  destroy(): void {
    this.removeHook?.();
    try {
      ip(['netns', 'del', this.name]);
    } catch {
      /* already gone */
    }
    try {
      ip(['link', 'del', this.hostIf]);
    } catch {
      /* removed with the namespace */
    }
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }
}
