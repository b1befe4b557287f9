import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isJsonContentType, jsonOnlyAccept } from './accept-header.ts';

describe('jsonOnlyAccept', () => {
  test('protobuf first (client-go with protobuf) keeps only the JSON range', () => {
    assert.equal(jsonOnlyAccept('application/vnd.kubernetes.protobuf, application/json'), 'application/json');
  });
  test("kubectl get's Table ranges are kept with their parameters", () => {
    const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    assert.equal(jsonOnlyAccept(kubectl), kubectl);
  });
  test('a protobuf Table range is dropped, the JSON Table range stays', () => {
    assert.equal(
      jsonOnlyAccept('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9'),
      'application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9',
    );
  });
  test('nothing JSON left, or no header: application/json', () => {
    assert.equal(jsonOnlyAccept('application/vnd.kubernetes.protobuf'), 'application/json');
    assert.equal(jsonOnlyAccept(undefined), 'application/json');
    assert.equal(jsonOnlyAccept(''), 'application/json');
  });
  test('wildcards, YAML and CBOR are dropped: the server must not pick a format the masker cannot read', () => {
    assert.equal(jsonOnlyAccept('*/*'), 'application/json');
    assert.equal(jsonOnlyAccept('application/yaml, application/cbor, application/*, APPLICATION/JSON'), 'APPLICATION/JSON');
  });
});

describe('isJsonContentType', () => {
  test('JSON with or without parameters, +json suffixes', () => {
    assert.ok(isJsonContentType('application/json'));
    assert.ok(isJsonContentType('application/json; charset=utf-8'));
    assert.ok(isJsonContentType('application/merge-patch+json'));
  });
  test('anything else, or none', () => {
    assert.ok(!isJsonContentType('application/vnd.kubernetes.protobuf'));
    assert.ok(!isJsonContentType('text/plain'));
    assert.ok(!isJsonContentType('application/yaml'));
    assert.ok(!isJsonContentType(undefined));
  });
});
