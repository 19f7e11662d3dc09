import { describe, expect, it } from 'vitest';
import { formatPath, locate, parseYamlSource, pointerToPath, rawScalar } from './source.js';
import { didYouMean } from './suggest.js';
import { firstInvalidUtf8 } from './utf8.js';

describe(locate, () => {
  const src = parseYamlSource('v.yaml', 'a: 1\nb:\n  list:\n    - name: x\n      value: "y"\n---\nc: 2\n');

  it('should point at the value when the path exists', () => {
    expect(locate(src, 0, ['b', 'list', 0, 'value'])).toEqual({ line: 5, column: 14 });
  });

  it('should point at the key when key is requested', () => {
    expect(locate(src, 0, ['b', 'list'], { key: true })).toEqual({ line: 3, column: 3 });
  });

  it('should fall back to the deepest existing ancestor when the path is missing', () => {
    expect(locate(src, 0, ['b', 'list', 0, 'missing'])).toEqual({ line: 4, column: 7 });
  });

  it('should locate nodes in later documents', () => {
    expect(locate(src, 1, ['c'])).toEqual({ line: 7, column: 4 });
  });
});

describe(parseYamlSource, () => {
  it('should read YAML 1.1 octals like Kubernetes does when a mode is written 0400', () => {
    const src = parseYamlSource('v.yaml', 'mode: 0400\nflag: yes\n');
    expect(src.docs[0]!.value).toEqual({ mode: 256, flag: true });
    expect(rawScalar(src, 0, ['mode'])).toBe('0400');
  });
});

describe(formatPath, () => {
  it.each([
    [[], '(root)'],
    [['spec', 'data', 'ca.crt'], 'spec.data["ca.crt"]'],
    [['a', 0, 'b'], 'a[0].b'],
  ])('should format %j as %s', (p, s) => {
    expect(formatPath(p)).toBe(s);
  });
  it('should decode JSON pointers', () => {
    expect(pointerToPath('/a~1b/0/c~0d')).toEqual(['a/b', 0, 'c~d']);
  });
});

describe(firstInvalidUtf8, () => {
  it.each([
    ['ascii', Buffer.from('abc'), -1],
    ['multi-byte', Buffer.from('café €𝄞'), -1],
    ['latin-1', Buffer.from([0x61, 0xe9, 0x62]), 1],
    ['overlong', Buffer.from([0xc0, 0xaf]), 0],
    ['truncated', Buffer.from([0x61, 0xe2, 0x82]), 1],
    ['surrogate', Buffer.from([0xed, 0xa0, 0x80]), 0],
  ])('should handle %s', (_n, buf, at) => {
    expect(firstInvalidUtf8(buf)).toBe(at);
  });
});

describe(didYouMean, () => {
  it('should suggest the closest key when the input is a plausible typo', () => {
    expect(didYouMean('nautobot_wroker', ['nautobot', 'nautobot_worker', 'nautobotop'])).toBe('nautobot_worker');
    expect(didYouMean('nautobot-worker', ['nautobot_worker'])).toBe('nautobot_worker');
    expect(didYouMean('completely_different', ['nautobot_worker'])).toBeUndefined();
  });
});
