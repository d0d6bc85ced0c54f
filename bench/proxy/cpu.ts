// CPU time per request, by process and thread, read from the kernel (/proc): where a
// throughput ratio comes from on a machine whose cores the load generator, the upstream
// and the proxy share. Every µs a process adds per request is a µs the others lose.

import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** CPU ticks (user + system) of each thread of a process, by thread id. */
function threadTicks(pid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

export interface CpuSplit {
  /** The proxy's main (forwarding) thread, its busiest other thread (the recorder, when recording), and the rest of its threads. */
  main: number;
  busiestOther: number;
  rest: number;
  upstream: number;
  /** This process: autocannon and any watcher. */
  load: number;
}

/** Starts counting; the returned function gives µs of CPU per request since, for `requests` requests. */
export function countCpu(proxyPid: number, upstreamPid: number): (requests: number) => CpuSplit {
  const proxy0 = threadTicks(proxyPid);
  const upstream0 = sum(threadTicks(upstreamPid));
  const load0 = process.cpuUsage();
  return (requests) => {
    const per = (ticks: number) => (ticks * TICK_US) / requests;
    const grown = [...threadTicks(proxyPid)].map(([tid, t]) => [tid, t - (proxy0.get(tid) ?? 0)] as const);
    const main = grown.find(([tid]) => tid === proxyPid)?.[1] ?? 0;
    const others = grown.filter(([tid]) => tid !== proxyPid).map(([, t]) => t).sort((a, b) => b - a);
    const load = process.cpuUsage(load0);
    return {
      main: per(main),
      busiestOther: per(others[0] ?? 0),
      rest: per(others.slice(1).reduce((a, b) => a + b, 0)),
      upstream: per(sum(threadTicks(upstreamPid)) - upstream0),
      load: (load.user + load.system) / requests,
    };
  };
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
