/**
 * PostgreSQL as the protocol registry serves it (core/protocol.ts): for each postgres Target a
 * PgListener whose sessions get their services from the core session context plus PostgreSQL's own
 * (postgres-sessions.ts), and one cancel-key registry shared by all of them, because a CancelRequest
 * arrives on a new connection to any listener.
 */
import type { Protocol } from '../../core/protocol.ts';
import { CancelRegistry } from './cancel-registry.ts';
import type { PgLimits } from './limits/pg-limits.ts';
import { PgListener } from './listener.ts';
import { createPgSessionFactory } from './postgres-sessions.ts';
import type { BatchClassification } from './sql/classification.ts';

/** What PostgreSQL needs beyond the services every protocol shares. */
export interface PostgresProtocolOptions {
  readonly classify: (text: string) => BatchClassification;
  readonly limits: PgLimits;
}

/** PostgreSQL as the registry serves it: one listener per postgres Target, one cancel-key registry for all of them. */
export function postgresProtocol(options: PostgresProtocolOptions): Protocol {
  const cancels = new CancelRegistry();
  return {
    type: 'postgres',
    listen: (request) => {
      const { target, logger } = request;
      // The services every protocol shares come with the request; PostgreSQL adds its own.
      const sessionServices = createPgSessionFactory({ ...request, classify: options.classify, cancels, limits: options.limits });
      return PgListener.start({
        target,
        host: request.host,
        port: request.port,
        authenticator: request.authenticator,
        credentials: request.credentials,
        cancels,
        limits: options.limits,
        logger: logger.child({ target: target.name }),
        sessionServices,
        ...(request.onSessionCount ? { onSessionCount: request.onSessionCount } : {}),
      });
    },
  };
}
