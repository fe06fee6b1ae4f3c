import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_COOKIE, bearerToken, cookieValue, hostName, isAuthorized, isLoopbackHost, secretEquals, sessionCookieValue } from '../../src/server/auth.js';

describe('server auth helpers', () => {
  it('compares secrets of any length', () => {
    assert.equal(secretEquals('s3cret', 's3cret'), true);
    assert.equal(secretEquals('s3cre', 's3cret'), false);
    assert.equal(secretEquals('', 's3cret'), false);
    assert.equal(secretEquals('s3cret-and-more', 's3cret'), false);
  });

  it('reads a bearer token and nothing else', () => {
    assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
    assert.equal(bearerToken('bearer   abc'), 'abc');
    assert.equal(bearerToken('Basic YWJj'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });

  it('reads one cookie among several', () => {
    assert.equal(cookieValue(`a=1; ${SESSION_COOKIE}=xyz; b=2`, SESSION_COOKIE), 'xyz');
    assert.equal(cookieValue('a=1', SESSION_COOKIE), undefined);
  });

  it('accepts the header or the derived session cookie, never the raw token as cookie', () => {
    const token = 'tok-123';
    assert.equal(isAuthorized(token, { authorization: 'Bearer tok-123' }), true);
    assert.equal(isAuthorized(token, { cookie: `${SESSION_COOKIE}=${sessionCookieValue(token)}` }), true);
    assert.equal(isAuthorized(token, { cookie: `${SESSION_COOKIE}=${token}` }), false);
    assert.equal(isAuthorized(token, { authorization: 'Bearer tok-124' }), false);
    assert.equal(isAuthorized(token, {}), false);
    assert.notEqual(sessionCookieValue(token), token);
    assert.doesNotMatch(sessionCookieValue(token), /tok-123/);
  });

  it('knows loopback hosts and parses Host headers', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '192.168.1.4', 'evil.example', '::']) assert.equal(isLoopbackHost(host), false, host);
    assert.equal(hostName('127.0.0.1:8080'), '127.0.0.1');
    assert.equal(hostName('LOCALHOST'), 'localhost');
    assert.equal(hostName('[::1]:80'), '[::1]');
    assert.equal(hostName('evil.example:8080'), 'evil.example');
  });
});
