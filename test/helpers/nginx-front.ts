import type { TestContext } from 'node:test';
import { startNginx } from './nginx.js';

/** nginx streaming: what the guide's config asks for. */
export const STREAMING_PROXY = 'proxy_buffering off;\n            proxy_http_version 1.1;';
/** What a proxy someone else runs may do: buffer, and ignore the backend's X-Accel-Buffering: no. */
export const BUFFERING_PROXY = 'proxy_buffering on;\n            proxy_ignore_headers X-Accel-Buffering;';

/**
 * An nginx in front of `upstream` (host:port) with one location body, stopped after the test;
 * `tls` adds `ssl http2` to the listen (nginx 1.22 syntax). Returns its `/send_operation` URL.
 */
export async function nginxInFront(t: TestContext, nginx: string, upstream: string, location: string, tls?: { certFile: string; keyFile: string }): Promise<string> {
  const proxy = await startNginx({
    nginx,
    config: (port) =>
      `    server {\n        listen 127.0.0.1:${port}${tls === undefined ? '' : ' ssl http2'};\n` +
      (tls === undefined ? '' : `        ssl_certificate ${tls.certFile};\n        ssl_certificate_key ${tls.keyFile};\n`) +
      `        location / {\n            proxy_pass http://${upstream};\n            ${location}\n        }\n    }\n`,
  });
  t.after(() => proxy.stop());
  return `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${proxy.port}/send_operation`;
}
