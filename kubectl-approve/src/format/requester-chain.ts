/**
 * Who asks, as one chain read human first: the person the agent acts for, the AgentIdentity whose
 * authority was delegated, then each sub-agent down to the one asking. A reviewer approving a
 * sub-agent's command must see that it is not the agent itself asking, and through whom the
 * authority came. Pure.
 *
 * Sub-agent names are given by the delegating agents, so they are agent-controlled text: every
 * element is made one line and escaped (terminal-text.ts), and the characters this module uses to
 * join elements are escaped too when they appear inside one, so a name cannot pose as two links
 * of the chain. The API server's schema already limits sub-agent names to DNS-like labels; the
 * plugin does not rely on it.
 */
import type { Requester } from '@airlock/crds';
import { escapeChar, oneLine, PLAIN, type Style } from './terminal-text.ts';

/** Joins the links of the chain in every form; escaped inside any element. */
const LINK = '→';
/** Joins the identity and the asking sub-agent in the list's REQUESTER column; escaped inside names. */
const PATH = '/';
/** Stands for the sub-agents left out of the REQUESTER column; escaped inside names. */
const BETWEEN = '…';

/** A person (onBehalfOf): one line, with the link character escaped. Slashes stay: CI subjects such as `repo:org/app:ref:refs/heads/main` have them. */
function personText(text: string): string {
  return oneLine(text).replaceAll(LINK, escapeChar(LINK));
}

/** An AgentIdentity or sub-agent name: one line, with every character this module joins names with escaped. */
function agentText(text: string): string {
  let shown = oneLine(text);
  for (const c of [LINK, PATH, BETWEEN]) shown = shown.replaceAll(c, escapeChar(c));
  return shown;
}

/** The sub-agents from the first delegate to the one asking; empty when the agent itself asks. */
function subAgents(requester: Requester): readonly string[] {
  return requester.delegation?.chain ?? [];
}

/** There is a chain to show: the agent acts for someone, or a sub-agent asks. */
export function hasChain(requester: Requester): boolean {
  return Boolean(requester.onBehalfOf) || subAgents(requester).length > 0;
}

/**
 * The show view's chain line, e.g. `alice@example.com → orders-deploy-main (identity) → researcher
 * → sql-writer (depth 2)`; undefined when there is no chain. When the recorded depth and the
 * names disagree the line says so rather than pick one: the operator wrote both, and a reviewer
 * should not be the one who silently reconciles them.
 */
export function chainLine(requester: Requester, style: Style = PLAIN): string | undefined {
  if (!hasChain(requester)) return undefined;
  const links = [
    ...(requester.onBehalfOf ? [personText(requester.onBehalfOf)] : []),
    `${agentText(requester.identity)} ${style.dim('(identity)')}`,
    ...subAgents(requester).map(agentText),
  ];
  const line = links.join(` ${LINK} `);
  const delegation = requester.delegation;
  if (!delegation) return line;
  const names = delegation.chain.length;
  if (names === delegation.depth) return `${line} ${style.dim(`(depth ${delegation.depth})`)}`;
  return `${line} ${style.warn(`(depth ${delegation.depth}, but the chain names ${names} sub-agent${names === 1 ? '' : 's'})`)}`;
}

/** The `-o wide` CHAIN cell, e.g. `alice@example.com→orders-deploy-main→researcher→sql-writer`, or `-`. */
export function chainCell(requester: Requester): string {
  if (!hasChain(requester)) return '-';
  return [
    ...(requester.onBehalfOf ? [personText(requester.onBehalfOf)] : []),
    agentText(requester.identity),
    ...subAgents(requester).map(agentText),
  ].join(LINK);
}

/**
 * The default table's REQUESTER cell. A reviewer scanning the list needs two names: the
 * AgentIdentity (whose policy and targets apply) and, when it is a sub-agent, the one actually
 * asking. So: `orders-deploy-main` for the agent itself, `orders-deploy-main/sql-writer` for its
 * sub-agent, and `orders-deploy-main/…/sql-writer` when there are sub-agents in between — the
 * ellipsis says the chain is longer without widening the column by their names. The whole chain,
 * with the person, is in `-o wide` (CHAIN) and in `show`.
 */
export function requesterCell(requester: Requester): string {
  const chain = subAgents(requester);
  const identity = agentText(requester.identity);
  const asking = chain.at(-1);
  if (asking === undefined) return identity;
  return [identity, ...(chain.length > 1 ? [BETWEEN] : []), agentText(asking)].join(PATH);
}
