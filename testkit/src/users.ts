/**
 * The people of the test cluster. Each authenticates with a static token, so tests can act as
 * requester, reviewer or outsider. Names look like what an OIDC-backed cluster shows.
 */
export interface TestUser {
  name: string;
  uid: string;
  groups: string[];
}

export const TEST_USERS = {
  admin: { name: 'airlock-admin', uid: 'u-admin', groups: ['system:masters'] },
  alice: { name: 'alice@example.com', uid: 'u-alice', groups: ['db-owners', 'airlock-reviewers'] },
  bob: { name: 'bob@example.com', uid: 'u-bob', groups: ['db-owners', 'airlock-reviewers'] },
  carol: { name: 'carol@example.com', uid: 'u-carol', groups: ['sre', 'airlock-reviewers'] },
  dave: { name: 'dave@example.com', uid: 'u-dave', groups: ['developers'] },
  controllerManager: { name: 'system:kube-controller-manager', uid: 'u-kcm', groups: [] },
} as const satisfies Record<string, TestUser>;

export type TestUserName = keyof typeof TEST_USERS;
