/** The status code of a GET, for readiness checks: http or https (with a CA and a bearer token). */
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';

export function httpStatus(url: string, caPem?: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      {
        method: 'GET',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(u.protocol === 'https:' ? { agent: new Agent({ ca: caPem, keepAlive: false }) } : {}),
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
