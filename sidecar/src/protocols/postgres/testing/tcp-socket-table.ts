/**
 * The kernel's own view of a TCP connection, for tests that must check what reached the socket
 * rather than what Node was asked to do: Linux's IPv4 socket table (procfs `net/tcp`, the same
 * data `ss -tno` prints) says which timer is armed on a connection. An established, idle
 * connection with SO_KEEPALIVE has its keepalive timer armed, due within the idle time set with
 * TCP_KEEPIDLE; without SO_KEEPALIVE it has no timer. IPv4 only, which is what the integration
 * tests use.
 */
import { readFile } from 'node:fs/promises';

/** procfs is mounted at /proc on every Linux system; the table lists every IPv4 TCP socket of the host. */
const IPV4_TCP_TABLE = '/proc/net/tcp';

/** The kernel prints timer expiry in USER_HZ clock ticks, 100 per second on Linux. */
const TICKS_PER_SECOND = 100;

/** The `tr` column: which timer is active (include/net/tcp.h, get_tcp4_sock). */
export type TcpTimer = 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
const TIMERS: Readonly<Record<string, TcpTimer>> = { 0: 'none', 1: 'retransmit', 2: 'keepalive', 3: 'time-wait', 4: 'zero-window-probe' };

export interface TcpSocketState {
  readonly localPort: number;
  readonly remotePort: number;
  /** 'established' for state 01; the hex state otherwise. */
  readonly state: string;
  readonly timer: TcpTimer;
  /** Seconds until the active timer fires. */
  readonly timerSeconds: number;
}

/** The socket with these local and remote ports (the tests' connections are all on 127.0.0.1), or undefined. */
export async function tcpSocket(localPort: number, remotePort: number): Promise<TcpSocketState | undefined> {
  const table = await readFile(IPV4_TCP_TABLE, 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, remote, state, , timer] = [fields[1], fields[2], fields[3], fields[4], fields[5]];
    if (!local || !remote || !state || !timer) continue;
    if (portOf(local) !== localPort || portOf(remote) !== remotePort) continue;
    const [active = '0', when = '0'] = timer.split(':');
    return {
      localPort,
      remotePort,
      state: state === '01' ? 'established' : state,
      timer: TIMERS[String(Number.parseInt(active, 16))] ?? 'none',
      timerSeconds: Number.parseInt(when, 16) / TICKS_PER_SECOND,
    };
  }
  return undefined;
}

const portOf = (address: string): number => Number.parseInt(address.split(':')[1] ?? '', 16);
