import { describe, expect, it } from 'vitest';
import { goBinaryName, installTools } from './install.js';
import { loadPins } from './tools.js';

describe(goBinaryName, () => {
  it.each([
    ['helm.sh/helm/v4/cmd/helm', 'helm'],
    ['sigs.k8s.io/kustomize/kustomize/v5', 'kustomize'],
    ['sigs.k8s.io/kind', 'kind'],
  ])('should name the binary go install writes for %s', (pkg, bin) => {
    expect(goBinaryName(pkg)).toBe(bin);
  });
});

describe(installTools, () => {
  it('should find every pinned tool at its pinned version when the installer has run', async () => {
    const results = await installTools({ checkOnly: true, log: () => undefined });
    const pins = loadPins();
    for (const name of Object.keys(pins.tools)) {
      const r = results.find((x) => x.tool === name);
      expect(r, name).toBeDefined();
      expect(r!.status, `${name}: ${r!.detail}`).not.toBe('failed');
    }
    expect(results.find((r) => r.tool === 'python')?.status).toBe('present');
  });
});
