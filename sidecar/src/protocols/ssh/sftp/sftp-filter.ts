/**
 * The state of one SFTP channel between agent and host, and what happens to each packet: pure,
 * packets in, verdicts out, the policy behind `judge` (which also records each decision). The
 * pipe (sftp-pipe.ts) does the I/O.
 *
 * Agent to host: INIT first and once; then each request is classified (sftp-operation.ts) and
 * either forwarded or answered by the sidecar with a STATUS and never sent. An OPEN or OPENDIR
 * that was allowed waits for its reply: the HANDLE the host sends back is remembered with what the
 * open was allowed for, and requests on handles are checked against it. A request id the agent
 * reuses while an open with that id awaits its handle would make the handle ambiguous, so it
 * closes the channel, as does anything the reader cannot read (SftpProtocolError).
 *
 * Host to agent: VERSION first and once, version 3 only, its extension list cut to what the
 * filter decides; the limits reply cut to what the sidecar reads; everything else as it is.
 */
import type { Decision, SshFacts } from '@airlock/contracts/policy';
import { SftpProtocolError } from './sftp-error.ts';
import { classifyRequest, fileOperationFacts, type HandleUse, type OpenedFor, unsupportedFacts } from './sftp-operation.ts';
import { PACKET, STATUS } from './sftp-protocol.ts';
import { clampLimits, filterVersion, readReply, statusPacket } from './sftp-reply.ts';
import { readRequest } from './sftp-request.ts';

/** Decides one file operation and records it. */
export type SftpJudge = (facts: SshFacts) => Decision;

export type AgentVerdict =
  /** Send to the host; `decided` when a decision was recorded for it (the record is stored first). */
  | { readonly kind: 'forward'; readonly packet: Buffer; readonly decided: boolean }
  /** Answer the agent with `reply` and send nothing; `sentence` is for the agent's stderr. */
  | { readonly kind: 'refuse'; readonly reply: Buffer; readonly sentence: string };

interface OpenHandle extends OpenedFor {
  /** Normalised, for deciding FSETSTAT; the name as sent, for its record. */
  readonly facts: SshFacts;
  readonly name: Buffer;
}

export class SftpFilter {
  readonly #judge: SftpJudge;
  #initSent = false;
  #versionSeen = false;
  /** Allowed opens whose reply has not come, by request id. */
  readonly #opening = new Map<number, OpenHandle>();
  /** Handles the host gave for allowed opens, by their bytes in hex. */
  readonly #handles = new Map<string, OpenHandle>();
  readonly #limitsAsked = new Set<number>();

  constructor(judge: SftpJudge) {
    this.#judge = judge;
  }

  /** Throws SftpProtocolError when the channel must close. */
  fromAgent(packet: Buffer): AgentVerdict {
    const request = readRequest(packet);
    if (!this.#initSent) {
      if (request.type !== PACKET.INIT) throw new SftpProtocolError('SftpOutOfOrder', `the agent sent ${request.name} before INIT`);
      this.#initSent = true;
      return { kind: 'forward', packet, decided: false };
    }
    if (request.type === PACKET.INIT) throw new SftpProtocolError('SftpOutOfOrder', 'the agent sent INIT a second time');
    const { id } = request;
    if (this.#opening.has(id)) {
      throw new SftpProtocolError('SftpOutOfOrder', `the agent reused request id ${id} while an open with that id awaits its handle`);
    }
    const kind = classifyRequest(request);
    switch (kind.kind) {
      case 'unsupported': {
        this.#judge(unsupportedFacts(request.name));
        const sentence = `sftp ${request.name} is not a request the sidecar can decide, so it was not sent`;
        return { kind: 'refuse', reply: statusPacket(id, STATUS.OP_UNSUPPORTED, `airlock: ${sentence}`), sentence };
      }
      case 'channel':
        if (request.name === 'limits@openssh.com') this.#limitsAsked.add(id);
        return { kind: 'forward', packet, decided: false };
      case 'handle': {
        const handles = request.handles.map((handle) => this.#handles.get(handle.toString('hex')));
        const refused = kind.uses.findIndex((use, at) => !permits(handles[at], use));
        if (refused >= 0) {
          const sentence = `sftp ${request.name} refused: the handle was not opened on this channel for ${kind.uses[refused]}`;
          return { kind: 'refuse', reply: statusPacket(id, STATUS.PERMISSION_DENIED, `airlock: ${sentence}`), sentence };
        }
        if (kind.closes) this.#handles.delete(request.handles[0]!.toString('hex'));
        return { kind: 'forward', packet, decided: false };
      }
      case 'setHandleAttributes': {
        const handle = this.#handles.get(request.handles[0]!.toString('hex'));
        if (handle === undefined) {
          const sentence = 'sftp fsetstat refused: the handle was not opened on this channel';
          return { kind: 'refuse', reply: statusPacket(id, STATUS.PERMISSION_DENIED, `airlock: ${sentence}`), sentence };
        }
        if (handle.write) return { kind: 'forward', packet, decided: false };
        return this.#decide(id, packet, fileOperationFacts('fsetstat', ['upload'], [handle.name]));
      }
      case 'file': {
        const facts = fileOperationFacts(request.name, kind.directions, request.paths, kind.detail);
        const verdict = this.#decide(id, packet, facts);
        if (verdict.kind === 'forward' && kind.opens) this.#opening.set(id, { ...kind.opens, facts, name: request.paths[0]! });
        return verdict;
      }
    }
  }

  #decide(id: number, packet: Buffer, facts: SshFacts): AgentVerdict {
    const decision = this.#judge(facts);
    if (decision.action === 'allow') return { kind: 'forward', packet, decided: true };
    // A request cannot wait mid-stream for a reviewer (the client waits for its reply): held means refused.
    const sentence =
      decision.action === 'deny'
        ? `${facts.text}: ${decision.reason}`
        : `${facts.text}: ${decision.reason}; approval is not offered for single SFTP requests, so it was refused: ask for a rule that allows it`;
    return { kind: 'refuse', reply: statusPacket(id, STATUS.PERMISSION_DENIED, `airlock: ${sentence}`), sentence };
  }

  /** The packet to send the agent in place of `packet`. Throws SftpProtocolError when the channel must close. */
  fromHost(packet: Buffer): Buffer {
    const reply = readReply(packet);
    if (!this.#versionSeen) {
      if (reply.type !== PACKET.VERSION)
        throw new SftpProtocolError('SftpOutOfOrder', `the host sent packet type ${reply.type} before VERSION`);
      this.#versionSeen = true;
      return filterVersion(packet);
    }
    if (!('id' in reply)) throw new SftpProtocolError('SftpOutOfOrder', 'the host sent VERSION a second time');
    const opened = this.#opening.get(reply.id);
    if (opened !== undefined) {
      this.#opening.delete(reply.id);
      if ('handle' in reply) this.#handles.set(reply.handle.toString('hex'), opened);
    }
    if (this.#limitsAsked.delete(reply.id) && reply.type === PACKET.EXTENDED_REPLY) return clampLimits(packet);
    return packet;
  }
}

function permits(handle: OpenHandle | undefined, use: HandleUse): boolean {
  if (handle === undefined) return false;
  if (use === 'any') return true;
  return handle[use];
}
