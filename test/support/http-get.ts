import { request } from 'node:http';

/** What {@link httpGet} received. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** One GET (or `method`) on a fresh connection (no keep-alive: nothing is left open for a server's close to wait on). */
export function httpGet(url: string, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The HTTP status a WebSocket upgrade to `url` was refused with (rejects if it was accepted). */
export function upgradeRefusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    req.on('error', reject);
    req.end();
  });
}
