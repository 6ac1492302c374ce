import { describe, expect, it } from 'vitest';
import {
  formatReference,
  isOwnerSegment,
  objectKey,
  parseReference,
  referenceOf,
  sandboxReferenceRegex,
} from '#shared/sandboxes/reference.ts';

const checksum = 'ab'.repeat(32);
const owner = { vo: 'vo.example.org', group: 'user', user: 'alice' };
const key = `sandboxes/vo.example.org/user/alice/sha256:${checksum}.tar.gz`;

describe('Sandbox references', () => {
  it('name the owner and the content in the object key', () => {
    expect(objectKey(owner, checksum)).toBe(key);
  });

  it('are written as DiracX writes them', () => {
    expect(formatReference('muon-sandbox-store', key)).toBe(`SB:SandboxSE|/S3/muon-sandbox-store/${key}`);
  });

  it('parse back into bucket, key, owner and checksum', () => {
    expect(parseReference(`SB:SandboxSE|/S3/muon-sandbox-store/${key}`)).toEqual({
      seName: 'SandboxSE',
      bucket: 'muon-sandbox-store',
      key,
      owner,
      checksumAlgorithm: 'sha256',
      checksum,
      format: 'tar.gz',
    });
  });

  it('accept a bare PFN, as DiracX does, and name the default storage element', () => {
    const parsed = parseReference(`/S3/muon-sandbox-store/${key}`);
    expect(parsed?.seName).toBe('SandboxSE');
    expect(parsed && referenceOf(parsed)).toBe(`SB:SandboxSE|/S3/muon-sandbox-store/${key}`);
  });

  it('keep another storage element name', () => {
    expect(parseReference(`SB:OtherSE|/S3/muon-sandbox-store/${key}`)?.seName).toBe('OtherSE');
  });

  it.each([
    ['an empty string', ''],
    ['a DIRAC disk sandbox', 'SB:ProductionSandboxSE|/SandBox/a/alice.user/abc/def/abcdef.tar.bz2'],
    ['no sandboxes/ prefix', `/S3/bucket/vo/user/alice/sha256:${checksum}.tar.gz`],
    ['a short checksum', `/S3/bucket/sandboxes/vo/user/alice/sha256:${checksum.slice(2)}.tar.gz`],
    ['an upper-case checksum', `/S3/bucket/sandboxes/vo/user/alice/sha256:${checksum.toUpperCase()}.tar.gz`],
    ['another algorithm', `/S3/bucket/sandboxes/vo/user/alice/md5:${checksum}.tar.gz`],
    ['another format', `/S3/bucket/sandboxes/vo/user/alice/sha256:${checksum}.tar.zst`],
    ['a path that climbs', `/S3/bucket/sandboxes/vo/../alice/sha256:${checksum}.tar.gz`],
    ['a missing owner segment', `/S3/bucket/sandboxes/vo/alice/sha256:${checksum}.tar.gz`],
    ['an extra segment', `/S3/bucket/sandboxes/vo/user/x/alice/sha256:${checksum}.tar.gz`],
    ['an upper-case bucket', `/S3/Bucket/sandboxes/vo/user/alice/sha256:${checksum}.tar.gz`],
    ['a fragment', `/S3/bucket/sandboxes/vo/user/alice/sha256:${checksum}.tar.gz#file.txt`],
    ['a second SE prefix', `SB:A|SB:B|/S3/bucket/sandboxes/vo/user/alice/sha256:${checksum}.tar.gz`],
  ])('refuse %s', (_what, text) => {
    expect(parseReference(text)).toBeUndefined();
    expect(sandboxReferenceRegex.test(text)).toBe(false);
  });

  it('refuse text longer than a DIRAC PFN column', () => {
    const long = `/S3/bucket/sandboxes/${'v'.repeat(500)}/user/alice/sha256:${checksum}.tar.gz`;
    expect(parseReference(long)).toBeUndefined();
  });

  it('only name owners whose names are safe path segments', () => {
    expect(isOwnerSegment('vo.example.org')).toBe(true);
    expect(isOwnerSegment('j.doe@cern.ch')).toBe(true);
    for (const bad of ['', '.', '..', 'a/b', 'with space', '-dash']) expect(isOwnerSegment(bad)).toBe(false);
  });
});
