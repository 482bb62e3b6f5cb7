/**
 * GET one of nats-server's monitoring endpoints (/varz, /jsz, /leafz, /accountz, /routez…) as JSON,
 * over loopback: what the hub benchmark and the tests that watch real servers read. A server that is
 * down, starting or answering something that is not JSON gives undefined; `monitorJson` is for
 * callers to whom that is an error.
 */
import * as http from "node:http";

export function monitor(port: number, endpoint: string): Promise<Record<string, any> | undefined> {
  return new Promise((resolve) => {
    http
      .get({ host: "127.0.0.1", port, path: endpoint }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch {
            resolve(undefined);
          }
        });
      })
      .on("error", () => resolve(undefined));
  });
}

/** As `monitor`, but a server that does not answer with JSON is an error naming the endpoint. */
export async function monitorJson(port: number, endpoint: string): Promise<Record<string, any>> {
  const body = await monitor(port, endpoint);
  if (body === undefined) throw new Error(`no JSON from nats-server monitoring 127.0.0.1:${port}${endpoint}`);
  return body;
}
