// CPU accounting for the benchmarks: CPU seconds (user + system) each process spent during a
// run, read from /proc/<pid>/stat (Linux). Processes are found by pid files or given pids;
// a service's own pid comes from its /metrics (`conveyor_process_cpu_seconds_total` is not
// used: it rounds to 10 ms and misses a process that restarted).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds of `pid` and its children that have exited and been waited for. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // n.b. the command name may hold spaces: fields are counted after its closing paren
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
    return (utime + stime + cutime + cstime) / TICKS;
  } catch {
    return null;
  }
}

/** Resident memory of `pid` in bytes (VmRSS from /proc), or null when it is gone. */
export function rssBytes(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** The pid in a pid file, when the file and the process exist. */
export function pidFromFile(path) {
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && existsSync(`/proc/${pid}`) ? pid : null;
}

/**
 * The local store's pid: BENCH_STORE_PID when set (a store started by hand: another build or
 * flags, another port), else the one `pnpm infra:up` recorded in `runDir` (.infra/run).
 */
export function storePid(runDir) {
  return process.env.BENCH_STORE_PID
    ? Number(process.env.BENCH_STORE_PID)
    : pidFromFile(join(runDir, 'mongo.pid'));
}

/** The pid of the process listening on a local TCP port (a service's metrics port). */
export function pidOfMetricsPort(port) {
  try {
    // n.b. ss prints the listener's owner as users:(("node",pid=123,fd=20))
    const ss = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
    const pid = /pid=(\d+)/.exec(ss)?.[1];
    return pid ? Number(pid) : null;
  } catch {
    return null;
  }
}

/**
 * Starts counting: returns `stop()`, which gives each process's CPU seconds since the start
 * (processes that vanished are left out).
 */
export function cpuMeter(processes) {
  const before = Object.fromEntries(
    Object.entries(processes)
      .filter(([, pid]) => pid)
      .map(([name, pid]) => [name, cpuSeconds(pid)]),
  );
  return () => {
    const used = {};
    for (const [name, pid] of Object.entries(processes)) {
      if (!pid || before[name] === null || before[name] === undefined) continue;
      const now = cpuSeconds(pid);
      if (now !== null) used[name] = now - before[name];
    }
    return used;
  };
}

/** Prints CPU seconds per process and per 1,000 jobs, and the sum per job. */
export function printCpu(used, jobs, title = 'CPU') {
  const names = Object.keys(used);
  if (names.length === 0) return;
  const total = names.reduce((s, n) => s + used[n], 0);
  console.log(`  ${title} (user + system, from /proc), ${jobs} jobs:`);
  for (const n of names)
    console.log(
      `    ${n.padEnd(12)} ${used[n].toFixed(2).padStart(7)} s  ${((used[n] / jobs) * 1000).toFixed(3).padStart(7)} s per 1,000 jobs`,
    );
  console.log(
    `    ${'total'.padEnd(12)} ${total.toFixed(2).padStart(7)} s  ${((total / jobs) * 1000).toFixed(3).padStart(7)} s per 1,000 jobs = ${((total / jobs) * 1000).toFixed(2)} ms per job`,
  );
}
