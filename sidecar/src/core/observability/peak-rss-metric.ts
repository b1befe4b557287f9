/**
 * airlock_process_peak_rss_bytes: the most memory the process has held since it started. The
 * default process_resident_memory_bytes is a sample; a spike between two scrapes (a large result,
 * a burst of sessions) is what the pod's memory limit kills for, so this compares the high-water
 * mark with the limit. Tests read it to check the peak under the production V8 flags.
 */
import { Gauge, type Registry } from 'prom-client';

export function registerPeakRss(registry: Registry): void {
  new Gauge({
    name: 'airlock_process_peak_rss_bytes',
    help: 'Peak resident set size of the sidecar process since it started (getrusage maxrss), in bytes.',
    registers: [registry],
    collect() {
      // maxRSS is in KiB on Linux and macOS.
      this.set(process.resourceUsage().maxRSS * 1024);
    },
  });
}
