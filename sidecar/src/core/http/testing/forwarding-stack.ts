/**
 * One test setup: a CA, a recording HTTPS upstream with a certificate from it, an UpstreamHttpClient
 * that trusts the CA, and an HTTP listener on 127.0.0.1 with the forwarding handler between them.
 */
import { createCertificateAuthority, issueServingCertificate } from '@airlock/testkit';
import pino from 'pino';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../http-limits.ts';
import { type HttpListenerHandle, startHttpListener } from '../http-listener.ts';
import { UpstreamHttpClient } from '../upstream-client.ts';
import { type ForwardingEvents, forwardingHandlers } from './forwarding-handler.ts';
import { type RecordingUpstream, startRecordingUpstream } from './recording-upstream.ts';

export interface ForwardingStack {
  readonly listener: HttpListenerHandle;
  readonly upstream: RecordingUpstream;
  readonly client: UpstreamHttpClient;
  readonly events: ForwardingEvents;
  readonly limits: HttpLimits;
  close(): Promise<void>;
}

export async function startForwardingStack(
  options: { readonly limits?: Partial<HttpLimits>; readonly authorization?: () => Promise<string | undefined> } = {},
): Promise<ForwardingStack> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const ca = await createCertificateAuthority('airlock-http-test-ca');
  const certificate = await issueServingCertificate(ca, 'upstream', { ips: ['127.0.0.1'] });
  const upstream = await startRecordingUpstream({ certificate });
  const client = new UpstreamHttpClient(
    { server: upstream.url, ca: ca.certPem },
    { connectTimeoutMs: limits.upstreamConnectTimeoutMs, authorization: options.authorization },
  );
  const { handlers, events } = forwardingHandlers(client, limits);
  const listener = await startHttpListener({ host: '127.0.0.1', port: 0, limits, logger: pino({ level: 'silent' }), handlers });
  return {
    listener,
    upstream,
    client,
    events,
    limits,
    async close() {
      await listener.close();
      client.close();
      await upstream.close();
    },
  };
}
