import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, jsonForScript, truncate } from '../../src/report/escape.js';

describe('escapeHtml', () => {
  it('escapes markup and both quote kinds', () => {
    assert.equal(escapeHtml(`<img src=x onerror="alert('1')">&amp;`), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;');
  });

  it('shows control characters as \\xNN instead of passing them through', () => {
    assert.equal(escapeHtml('a\u0000b\u001b[31m'), 'a\\x00b\\x1b[31m');
  });

  it('never leaves a raw <, >, " or \' for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeHtml(text);
        assert.doesNotMatch(escaped, /[<>"']/);
        // every & starts an entity we wrote
        assert.doesNotMatch(escaped, /&(?!amp;|lt;|gt;|quot;|#39;)/);
      }),
    );
  });
});

describe('jsonForScript', () => {
  it('cannot close a script element, open a comment or break a line', () => {
    const payload = { args: '</script><script>alert(1)</script><!-- \u2028\u2029 & >' };
    const json = jsonForScript(payload);
    assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(json), payload);
  });

  it('round-trips any value and never contains <, >, &, U+2028 or U+2029', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const input of [value, { text }]) {
          const json = jsonForScript(input);
          assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
          assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(input)));
        }
      }),
    );
  });
});

describe('truncate', () => {
  it('keeps short text and marks the cut of long text', () => {
    assert.equal(truncate('abc', 5), 'abc');
    assert.equal(truncate('abcdefgh', 5), 'abcde… (3 more characters)');
  });

  it('does not split a surrogate pair', () => {
    const cut = truncate('ab😀cd', 3);
    assert.ok(cut.startsWith('ab…'), cut);
  });
});
