/** Header lookups compare names as toLowerCase() would, without lower-casing every name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerValue, headerValues, normalizeHeaderName } from '../src/app/http/headers.js';
import type { HttpHeaders } from '../src/app/http/types.js';

test('headerValue and headerValues: any ASCII case, nothing else folded, non-ASCII names as toLowerCase has them', () => {
  const h: HttpHeaders = [
    ['Content-Type', 'a'], ['X-FORWARDED-FOR', 'b'], ['x-forwarded-for', 'c'], ['X-Forwarded-For ', 'd'],
    ['Caf\u00c9', 'e'], ['\u0130d', 'f'], ['x[y', 'g'], ['X{Y', 'h'], ['Host', 'i'],
  ];
  assert.equal(headerValue(h, 'content-type'), 'a');
  assert.equal(headerValue(h, 'CONTENT-TYPE'), 'a');
  assert.deepEqual(headerValues(h, 'x-forwarded-for'), ['b', 'c']);
  assert.equal(headerValue(h, 'caf\u00e9'), 'e');
  // 'x[y' and 'X{Y': '[' + 32 is '{', which is no case pair.
  assert.deepEqual(headerValues(h, 'x{y'), ['h']);
  assert.deepEqual(headerValues(h, 'X[Y'), ['g']);
  assert.equal(headerValue(h, 'hosT'), 'i');
  assert.equal(headerValue(h, 'hos'), undefined);
  assert.equal(headerValue(h, 'content_type'), undefined);
  // Same answers as lower-casing both sides, for every name against every other.
  const names = h.map(([n]) => n).concat(['content-typf', 'x-forwarded-fo', '\u0069\u0307d', 'id']);
  for (const want of names) {
    const expected = h.filter(([n]) => n.length === normalizeHeaderName(want).length && normalizeHeaderName(n) === normalizeHeaderName(want)).map(([, v]) => v);
    assert.deepEqual(headerValues(h, want), expected, want);
  }
});
