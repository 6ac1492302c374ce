import { describe, expect, it } from 'vitest';
import { parseConfigText, readConfigFile } from '#shared/config/load.ts';

describe('configuration document', () => {
  it('accepts the shipped configuration', () => {
    const result = readConfigFile('config/muon.yaml');
    expect(result.ok).toBe(true);
  });

  it('reports every error with its path', () => {
    const result = parseConfigText(`
auth: { issuer: not-a-url, audience: [] }
virtualOrganizations:
  vo1:
    defaultGroup: missing
    groups:
      user: { properties: [NormalUser], share: -1 }
sites:
  S1: { storageElements: [NOPE], unknownKey: 1 }
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'auth.issuer',
        'auth.audience',
        'virtualOrganizations.vo1.groups.user.share',
        'sites.S1',
      ]),
    );
  });

  it('names a default group that is not declared', () => {
    const result = parseConfigText(`
auth: { issuer: 'https://idp.example/', audience: [muon] }
virtualOrganizations:
  vo1: { defaultGroup: missing, groups: { user: { properties: [NormalUser] } } }
`);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toContainEqual(
        expect.objectContaining({ path: 'virtualOrganizations.vo1.defaultGroup' }),
      );
  });

  it('gives line and column for YAML syntax errors', () => {
    const result = parseConfigText('auth: [unclosed\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toMatch(/^line \d+, column \d+$/);
  });
});
