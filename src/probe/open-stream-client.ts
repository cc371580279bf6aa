import type { StreamRecord } from '../model/record.js';
import { isWebSocketUrl, type RequestSpec } from './request-spec.js';
import { StreamClient, type EventObserver } from './stream-client.js';
import { WsStreamClient } from './ws-stream-client.js';

/** What bench, compare and doctor need of a client: sequential requests, an interrupt, a close. */
export interface SequentialClient {
  request(index: number, warmup: boolean, originMs?: number): Promise<StreamRecord>;
  abort(): void;
  close(): Promise<void>;
}

/** An HTTP client (undici) for http(s):// targets, a WebSocket one for ws(s):// (serve's GET /ws). */
export function openStreamClient(spec: RequestSpec, observer: EventObserver | null = null): SequentialClient {
  return isWebSocketUrl(spec.url) ? new WsStreamClient(spec, 1, observer) : new StreamClient(spec, observer);
}
