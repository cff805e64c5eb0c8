import type { IncomingMessage } from "node:http";
import { pino } from "pino";
import { redactRequestUrl, redactText } from "./redact.js";

/**
 * pino serializers of the API's logger. fastify's own `req` serializer logs
 * `req.url` verbatim, query string and all; this one redacts credential
 * parameters and URLs with user info. `err` redacts the message and stack
 * (an error message may quote a client's value).
 */
export const redactingSerializers = {
  req(req: IncomingMessage & { ip?: string; host?: string }) {
    return {
      method: req.method,
      url: redactRequestUrl(req.url ?? ""),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
  err(err: Error) {
    const serialized = pino.stdSerializers.err(err);
    return {
      ...serialized,
      message: redactText(serialized.message),
      ...(serialized.stack ? { stack: redactText(serialized.stack) } : {}),
    };
  },
};
