export * as pgProtocol from './pg/protocol/index.ts';
