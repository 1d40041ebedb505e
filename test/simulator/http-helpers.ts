/** A raw HTTP GET that reports exactly what the client saw, including resets and truncated bodies. */
import { request } from 'node:http';

export interface RawResponse {
  status?: number;
  retryAfter?: string;
  body: string;
  /** True when the whole body arrived. */
  complete: boolean;
  /** Set when the connection failed before any response. */
  error?: string;
}

export function rawGet(url: string): Promise<RawResponse> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', () => undefined);
      res.on('close', () =>
        resolve({
          status: res.statusCode,
          retryAfter: res.headers['retry-after'] as string | undefined,
          body,
          complete: res.complete,
        }),
      );
    });
    req.on('error', (error) => resolve({ body: '', complete: false, error: error.message }));
    req.end();
  });
}
