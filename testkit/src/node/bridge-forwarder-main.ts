/**
 * `node bridge-forwarder-main.ts LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT`: forwards until
 * SIGTERM (Node's default for SIGTERM is to exit at once, which is what the node's stop wants).
 */
import { forward } from './bridge-forwarder.ts';

const [listenHost, listenPort, targetHost, targetPort] = process.argv.slice(2);
if (!listenHost || !listenPort || !targetHost || !targetPort) {
  process.stderr.write('usage: bridge-forwarder-main.ts LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT\n');
  process.exit(2);
}
await forward({ host: listenHost, port: Number(listenPort) }, { host: targetHost, port: Number(targetPort) });
process.stdout.write(`forwarding ${listenHost}:${listenPort} to ${targetHost}:${targetPort}\n`);
