import { describe, expect, it } from 'vitest';
import type { TokenCheck } from '#shared/auth/payload-token.ts';
import { cachedVerifier } from '#shared/auth/verifier.ts';

/** An inner check that counts its calls and answers what `answers` says for each token. */
function counted(answers: Record<string, TokenCheck>) {
  const calls: string[] = [];
  const verify = async (token: string): Promise<TokenCheck> => {
    calls.push(token);
    return answers[token] ?? { ok: false, reason: 'unknown token' };
  };
  return { calls, verify };
}

describe('Verified tokens kept for their lifetime', () => {
  const exp = 1_000; // seconds
  const accepted: TokenCheck = { ok: true, claims: { sub: 'pilot', exp } };

  it('answers a token accepted before without checking it again, until its exp', async () => {
    let now = 900_000;
    const inner = counted({ t: accepted });
    const verify = cachedVerifier(inner.verify, () => now);
    expect(await verify('t')).toEqual(accepted);
    expect(await verify('t')).toEqual(accepted);
    expect(inner.calls).toEqual(['t']);
    now = exp * 1000;
    await verify('t');
    expect(inner.calls).toEqual(['t', 't']);
  });

  it('checks an expired token again, so the check refuses it', async () => {
    let now = 999_000;
    const answers: Record<string, TokenCheck> = { t: accepted };
    const inner = counted(answers);
    const verify = cachedVerifier(inner.verify, () => now);
    await verify('t');
    now = 1_000_001;
    answers.t = { ok: false, reason: 'expired' };
    expect(await verify('t')).toEqual({ ok: false, reason: 'expired' });
  });

  it('never keeps a refusal, nor a token without exp or not valid yet', async () => {
    const inner = counted({
      noExp: { ok: true, claims: { sub: 'x' } },
      later: { ok: true, claims: { sub: 'x', exp, nbf: 950 } },
    });
    const verify = cachedVerifier(inner.verify, () => 900_000);
    for (const token of ['bad', 'bad', 'noExp', 'noExp', 'later', 'later']) await verify(token);
    expect(inner.calls).toEqual(['bad', 'bad', 'noExp', 'noExp', 'later', 'later']);
  });
});
