/**
 * The bounds on what analyzing one command line may cost, and the error the walk stops with when a
 * line crosses one. Shared by the entry point (analyze-command-line.ts), which bounds the text and
 * the parse, and the walk (walk-state.ts, simple-command-walk.ts), which bounds nodes, depth and
 * nested scripts.
 */
import type { TreeLimits } from './go-tree.ts';

export interface ShellAnalysisLimits {
  /** Longer command lines (UTF-8 bytes) are unknown without being parsed. */
  readonly maxBytes: number;
  /** Syntax nodes visited, over the line and every script nested in it. */
  readonly maxNodes: number;
  /** Nesting of statements, commands and expressions. */
  readonly maxDepth: number;
  /** Scripts within scripts (`bash -c "sudo sh -c '...'"`). */
  readonly maxNestedScripts: number;
}

/**
 * 16 KiB is far more than a command line an agent types, and parses in tens of milliseconds at
 * worst (ADR 0021 has the measurements); the node and depth limits are far above what such a line
 * needs and stop a pathological one early.
 */
export const DEFAULT_SHELL_LIMITS: ShellAnalysisLimits = { maxBytes: 16 * 1024, maxNodes: 20_000, maxDepth: 100, maxNestedScripts: 4 };

/** Thrown by the walk at the first limit crossed; the entry point turns it into an unknown reason. */
export class LimitReached extends Error {}

/** The copy of a parse tree is bounded like the walk; a level of shell nesting is a few tree levels. */
export const treeLimits = (limits: ShellAnalysisLimits): TreeLimits => ({ maxNodes: limits.maxNodes, maxDepth: limits.maxDepth * 4 });
