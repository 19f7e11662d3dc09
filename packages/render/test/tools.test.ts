/** The renderer locates tools without importing @understack/scripts' index (startup cost); it must agree with it. */
import { toolPath } from '@understack/scripts';
import { describe, expect, it } from 'vitest';
import { pinnedToolPath, toolsFor } from '../src/tools.js';

describe(pinnedToolPath, () => {
  it.each([['helm'], ['helm3'], ['kustomize']])('should agree with @understack/scripts toolPath for %s', (name) => {
    expect(pinnedToolPath(name)).toBe(toolPath(name));
  });
});

describe(toolsFor, () => {
  it('should emulate Argo CD 3.5 with Helm 4 and 3.4 with Helm 3', () => {
    expect(toolsFor('3.5')).toMatchObject({ helmMajor: 4, helm: { path: toolPath('helm') } });
    expect(toolsFor('3.4')).toMatchObject({ helmMajor: 3, helm: { path: toolPath('helm3') } });
  });
});
