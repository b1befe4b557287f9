/**
 * When to make which certificate, as a pure function of what the Secret holds, the time, and the
 * policy. CertificateManager does the I/O; this decides.
 *
 * Serving certificate: renewed `renewBefore` ahead of its expiry, or when the names it must cover
 * changed, or when it was not issued by the current CA.
 * CA: replaced in two steps so no client ever sees a certificate it cannot verify. Stage: a new CA
 * joins the trust bundle (published as caBundle) while the old one keeps signing. Switch, once
 * `caOverlap` has passed: the new CA signs the serving certificate. The old CA stays in the trust
 * bundle until it expires, for clients that still hold a certificate it signed. A stage starts
 * early enough that the switch leaves a full serving-certificate lifetime before the old CA ends.
 */
import type { CertificateFacts } from '@airlock/runtime/pki';

export interface CertificatePolicy {
  readonly certValidityMs: number;
  readonly renewBeforeMs: number;
  readonly caValidityMs: number;
  /** How long a new CA is published before it signs anything. */
  readonly caOverlapMs: number;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** What the stored certificates are, without their bytes. */
export interface CertificateView {
  readonly signer: CertificateFacts;
  readonly next?: { readonly facts: CertificateFacts; readonly publishedAt: number };
  readonly trust: readonly CertificateFacts[];
  readonly serving: CertificateFacts;
  readonly servingIssuedBySigner: boolean;
}

export type CertificateStep =
  | { readonly kind: 'create' }
  | { readonly kind: 'stage-ca' }
  | { readonly kind: 'switch-ca' }
  | { readonly kind: 'renew-serving'; readonly reason: string }
  | { readonly kind: 'set-trust'; readonly fingerprints: readonly string[] };

/** Why a policy cannot work, or undefined. */
export function policyProblem(policy: CertificatePolicy): string | undefined {
  if (!(policy.certValidityMs > 0 && policy.renewBeforeMs > 0 && policy.caValidityMs > 0 && policy.caOverlapMs >= 0)) {
    return 'certificate lifetimes must be positive';
  }
  if (policy.renewBeforeMs >= policy.certValidityMs) return 'renewBeforeSeconds must be less than certValiditySeconds';
  if (policy.caValidityMs <= caRenewalLead(policy) + policy.renewBeforeMs) {
    return 'caValiditySeconds must exceed certValiditySeconds + 2 × renewBeforeSeconds + the CA overlap, or the CA would be replaced as soon as it is made';
  }
  if (policy.dnsNames.length === 0 && policy.ipAddresses.length === 0)
    return 'the serving certificate needs at least one DNS name or IP address';
  return undefined;
}

/** How long before the CA's end its replacement is staged. */
const caRenewalLead = (policy: CertificatePolicy): number => policy.certValidityMs + policy.renewBeforeMs + policy.caOverlapMs;

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
};

/**
 * The trust bundle it should be: earlier CAs until they expire (clients may still hold a
 * certificate one of them signed), the signer, and the staged CA. Existing order is kept.
 */
export function desiredTrust(view: CertificateView, now: number): string[] {
  const wanted = [view.signer.fingerprint, ...(view.next ? [view.next.facts.fingerprint] : [])];
  const kept = view.trust.filter((cert) => cert.notAfter > now || wanted.includes(cert.fingerprint)).map((cert) => cert.fingerprint);
  return [...new Set([...kept, ...wanted])];
}

export function planCertificates(view: CertificateView | undefined, now: number, policy: CertificatePolicy): CertificateStep[] {
  if (!view) return [{ kind: 'create' }];
  const steps: CertificateStep[] = [];
  const switching = view.next !== undefined && now >= view.next.publishedAt + policy.caOverlapMs;
  if (switching) steps.push({ kind: 'switch-ca' });
  else if (!view.next && now >= view.signer.notAfter - caRenewalLead(policy)) steps.push({ kind: 'stage-ca' });
  if (!switching) {
    const reason =
      now >= view.serving.notAfter - policy.renewBeforeMs
        ? 'it expires soon'
        : !sameSet(view.serving.dnsNames, policy.dnsNames) || !sameSet(view.serving.ipAddresses, policy.ipAddresses)
          ? 'the names it must cover changed'
          : !view.servingIssuedBySigner
            ? 'the current CA did not issue it'
            : undefined;
    if (reason) steps.push({ kind: 'renew-serving', reason });
  }
  // Staging and switching rewrite the trust bundle themselves; otherwise drop expired CAs and
  // put back a missing signer.
  if (!steps.some((s) => s.kind !== 'renew-serving')) {
    const trust = desiredTrust(view, now);
    if (trust.join() !== view.trust.map((c) => c.fingerprint).join()) steps.push({ kind: 'set-trust', fingerprints: trust });
  }
  return steps;
}

/** When planCertificates will next have something to do, if nothing else changes. */
export function nextCheckAt(view: CertificateView, policy: CertificatePolicy): number {
  const times = [
    view.serving.notAfter - policy.renewBeforeMs,
    view.next ? view.next.publishedAt + policy.caOverlapMs : view.signer.notAfter - caRenewalLead(policy),
    ...view.trust
      .filter((c) => c.fingerprint !== view.signer.fingerprint && c.fingerprint !== view.next?.facts.fingerprint)
      .map((c) => c.notAfter),
  ];
  return Math.min(...times);
}
