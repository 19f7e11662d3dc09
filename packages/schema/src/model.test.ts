import { describe, expect, it } from 'vitest';
import { dnsMatches, durationHours, envEntries } from './model.js';

describe(durationHours, () => {
  it.each([
    ['26280h', 26280],
    ['2160h', 2160],
    ['90m', 1.5],
    ['1h30m', 1.5],
    ['3y', undefined],
    ['', undefined],
    [42, undefined],
  ])('should parse %j as %j hours', (input, hours) => {
    expect(durationHours(input)).toBe(hours);
  });
});

describe(dnsMatches, () => {
  it.each([
    ['nautobot-db.understack.example', 'nautobot-db.understack.example', true],
    ['Nautobot-DB.understack.example.', 'nautobot-db.understack.example', true],
    ['*.understack.example', 'nautobot-db.understack.example', true],
    ['*.understack.example', 'a.b.understack.example', false],
    ['*.understack.example', 'understack.example', false],
    ['nautobot-redis.understack.example', 'nautobot-db.understack.example', false],
  ])('should match pattern %s against %s: %s', (pattern, host, ok) => {
    expect(dnsMatches(pattern, host)).toBe(ok);
  });
});

describe(envEntries, () => {
  it('should find list and map env forms under env-like keys', () => {
    const entries = envEntries({
      celery: {
        extraEnvVars: [
          { name: 'A', value: 1 },
          { name: 'B', valueFrom: { secretKeyRef: {} } },
        ],
      },
      worker: { env: { C: 'x', D: { value: 'y' } } },
    });
    expect(entries.map((e) => [e.name, e.value, e.valuePath.join('.')])).toEqual([
      ['A', '1', 'celery.extraEnvVars.0.value'],
      ['B', undefined, 'celery.extraEnvVars.1.value'],
      ['C', 'x', 'worker.env.C'],
      ['D', 'y', 'worker.env.D.value'],
    ]);
  });
});
