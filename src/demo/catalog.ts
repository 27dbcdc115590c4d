/**
 * The fixed vocabulary of the demo data: hosts, attack profiles, feature names (phases: core/phases.ts).
 * The host list is fixed so that pipeline.yaml's default `classify.train_hosts` fits it.
 */

/** Host names and their share of episodes; the first three (the default train hosts) hold ~50%. */
export const DEMO_HOSTS: readonly { name: string; weight: number }[] = [
  { name: "elliott-thinkpad", weight: 0.2 },
  { name: "lab-node-01", weight: 0.17 },
  { name: "lab-node-02", weight: 0.13 },
  { name: "lab-node-03", weight: 0.18 },
  { name: "qemu-vm-a", weight: 0.17 },
  { name: "qemu-vm-b", weight: 0.15 },
];

export const DEMO_PROFILES: readonly string[] = ["ransomware", "cryptominer", "keylogger", "botnet", "worm", "rootkit"];

/** Sample (malware binary) names per profile; every sample belongs to exactly one profile. */
export const SAMPLES_PER_PROFILE = 4;

export function sampleName(profile: string, index: number): string {
  const variants = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
  return `${profile}.${variants[index % variants.length]}${index >= variants.length ? index : ""}`;
}

const SENSORS = [
  "cpu_user",
  "cpu_sys",
  "mem_rss",
  "mem_commit",
  "disk_read",
  "disk_write",
  "net_tx",
  "net_rx",
  "proc_spawn",
  "thread_count",
  "file_open",
  "file_rename",
  "file_entropy",
  "reg_write",
  "dns_query",
  "tcp_conn",
  "udp_conn",
  "syscall_rate",
  "ctx_switch",
  "page_fault",
  "handle_count",
  "crypto_api",
  "gpu_util",
  "io_wait",
];
const STATS = ["mean", "std", "max", "p95", "slope"];

/** Feature j's column name: sensor_stat, with a suffix once every combination is used; all unique. */
export function featureName(j: number): string {
  const combos = SENSORS.length * STATS.length;
  const base = `${SENSORS[Math.floor(j / STATS.length) % SENSORS.length]}_${STATS[j % STATS.length]}`;
  const round = Math.floor(j / combos);
  return round === 0 ? base : `${base}_${round + 1}`;
}
