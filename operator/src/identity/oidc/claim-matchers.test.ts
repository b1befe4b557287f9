import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimValue, matchClaim, matchClaims, onBehalfOf } from './claim-matchers.ts';

const github = {
  sub: 'repo:org/app:ref:refs/heads/main',
  repository: 'org/app',
  ref: 'refs/heads/main',
  job_workflow_ref: 'org/app/.github/workflows/deploy.yml@refs/heads/main',
  run_attempt: 2,
  email_verified: true,
  groups: ['ops', 'eng-payments'],
  act: { sub: 'alice@example.com', act: { sub: 'portal' } },
  nothing: null,
};

describe('claimValue', () => {
  test('reads top-level and dotted nested claims', () => {
    assert.equal(claimValue(github, 'repository'), 'org/app');
    assert.equal(claimValue(github, 'act.sub'), 'alice@example.com');
    assert.equal(claimValue(github, 'act.act.sub'), 'portal');
  });

  test('a missing step, a step through a non-object, an empty step or an inherited property is undefined', () => {
    assert.equal(claimValue(github, 'missing'), undefined);
    assert.equal(claimValue(github, 'act.missing.sub'), undefined);
    assert.equal(claimValue(github, 'repository.length'), undefined);
    assert.equal(claimValue(github, 'groups.0'), undefined);
    assert.equal(claimValue(github, 'act..sub'), undefined);
    assert.equal(claimValue(github, 'toString'), undefined);
    assert.equal(claimValue(github, '__proto__'), undefined);
  });
});

describe('matchClaim', () => {
  test('equals is exact, case included', () => {
    assert.deepEqual(matchClaim(github, { claim: 'repository', equals: 'org/app' }), { ok: true });
    assert.equal(matchClaim(github, { claim: 'repository', equals: 'Org/App' }).ok, false);
    assert.equal(matchClaim(github, { claim: 'repository', equals: 'org/app ' }).ok, false);
  });

  test('pattern is the API glob: * stops at /, ** crosses it, ? is one character', () => {
    assert.equal(matchClaim(github, { claim: 'repository', pattern: 'org/*' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'ref', pattern: 'refs/heads/*' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'job_workflow_ref', pattern: 'org/*' }).ok, false);
    assert.equal(matchClaim(github, { claim: 'job_workflow_ref', pattern: 'org/app/**@refs/heads/main' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'ref', pattern: 'refs/heads/mai?' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'ref', pattern: 'refs/heads/ma?' }).ok, false);
  });

  test('a wildcard does not cover a value that climbs out with ..', () => {
    const climbing = { ref: 'refs/heads/../tags/v1' };
    assert.equal(matchClaim(climbing, { claim: 'ref', pattern: 'refs/heads/**' }).ok, false);
  });

  test('a list claim matches when any element does', () => {
    assert.equal(matchClaim(github, { claim: 'groups', pattern: 'eng-*' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'groups', equals: 'ops' }).ok, true);
    const none = matchClaim(github, { claim: 'groups', equals: 'admins' });
    assert.deepEqual(none, { ok: false, reason: 'no element of claim groups ([ops, eng-payments]) does not equal admins' });
  });

  test('numbers and booleans compare by their JSON text; objects and null match nothing', () => {
    assert.equal(matchClaim(github, { claim: 'run_attempt', equals: '2' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'email_verified', equals: 'true' }).ok, true);
    assert.equal(matchClaim(github, { claim: 'act', pattern: '**' }).ok, false);
    assert.equal(matchClaim(github, { claim: 'nothing', equals: 'null' }).ok, false);
  });

  test('a missing claim says which and what it must be', () => {
    assert.deepEqual(matchClaim(github, { claim: 'environment', equals: 'prod' }), {
      ok: false,
      reason: 'the token has no claim environment, which must equal prod',
    });
  });

  test('a matcher with neither equals nor pattern matches nothing', () => {
    assert.equal(matchClaim(github, { claim: 'repository' }).ok, false);
  });

  test('a long value is cut in the reason', () => {
    const reason = matchClaim({ ref: 'x'.repeat(1000) }, { claim: 'ref', equals: 'main' });
    assert.ok(!reason.ok && reason.reason.length < 200, JSON.stringify(reason));
  });
});

describe('matchClaims', () => {
  test('all must hold; no matchers accept any token', () => {
    assert.deepEqual(matchClaims(github, []), { ok: true });
    assert.deepEqual(
      matchClaims(github, [
        { claim: 'repository', equals: 'org/app' },
        { claim: 'ref', equals: 'refs/heads/main' },
      ]),
      { ok: true },
    );
  });

  test('the reason names the first that does not hold', () => {
    const feature = { ...github, ref: 'refs/heads/feature' };
    assert.deepEqual(
      matchClaims(feature, [
        { claim: 'repository', equals: 'org/app' },
        { claim: 'ref', equals: 'refs/heads/main' },
      ]),
      { ok: false, reason: 'claim ref (refs/heads/feature) does not equal refs/heads/main' },
    );
  });
});

describe('onBehalfOf', () => {
  test('a non-empty string claim, nested or not', () => {
    assert.equal(onBehalfOf(github, 'act.sub'), 'alice@example.com');
    assert.equal(onBehalfOf(github, 'repository'), 'org/app');
  });

  test('nothing for a missing, empty or non-string claim', () => {
    assert.equal(onBehalfOf(github, 'actor'), undefined);
    assert.equal(onBehalfOf({ actor: '' }, 'actor'), undefined);
    assert.equal(onBehalfOf(github, 'groups'), undefined);
    assert.equal(onBehalfOf(github, 'run_attempt'), undefined);
    assert.equal(onBehalfOf(github, 'act'), undefined);
  });
});
