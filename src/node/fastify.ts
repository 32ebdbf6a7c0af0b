/** fastify is imported here only, so the rest of node/ depends on one surface (ARCHITECTURE.md). */
export { fastify as Fastify } from 'fastify';
export type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
