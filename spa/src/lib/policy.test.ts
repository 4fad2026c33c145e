import { afterEach, describe, expect, it } from 'vitest';
import { policyAllows } from './dom';

const g = globalThis as { document?: unknown };
const saved = g.document;
afterEach(() => {
  g.document = saved;
});

/** A document whose permissions policy knows `known` and allows `allowed`. */
const withPolicy = (known: string[] | null, allowed: string[], key = 'featurePolicy') => {
  g.document = {
    [key]: {
      allowsFeature: (f: string) => allowed.includes(f),
      ...(known ? { features: () => known } : {}),
    },
  };
};

describe('policyAllows', () => {
  it('asks the permissions policy about a feature it knows', () => {
    withPolicy(['clipboard-write', 'web-share'], ['web-share']);
    expect(policyAllows('web-share')).toBe(true);
    expect(policyAllows('clipboard-write')).toBe(false); // an embed its host did not grant it
  });

  it('a feature the policy does not know is left to the API (Web Share on desktop Linux)', () => {
    withPolicy(['clipboard-write'], []);
    expect(policyAllows('web-share')).toBe(true);
  });

  it('the newer permissionsPolicy is asked first; no policy at all, or one that throws, allows', () => {
    withPolicy(null, ['clipboard-write'], 'permissionsPolicy');
    expect(policyAllows('clipboard-write')).toBe(true);
    expect(policyAllows('web-share')).toBe(false);
    g.document = {};
    expect(policyAllows('web-share')).toBe(true);
    g.document = {
      featurePolicy: {
        allowsFeature: () => {
          throw new Error('x');
        },
      },
    };
    expect(policyAllows('web-share')).toBe(true);
  });
});
