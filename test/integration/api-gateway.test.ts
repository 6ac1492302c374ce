import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

describe('Embedded API gateway', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(() => runtime?.stop());

  it('answers GET /api/health without a token', async () => {
    const response = await runtime.api('/api/health', { as: 'none' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('hands handlers the identity from the token claims', async () => {
    const user = await bodyOf(await runtime.api('/api/auth/userinfo'));
    expect(user).toMatchObject({
      vo: 'vo.example.org',
      preferred_username: 'alice',
      dirac_group: 'user',
      dirac_properties: ['NormalUser'],
    });
    const pilot = await bodyOf(await runtime.api('/api/auth/userinfo', { as: 'pilot' }));
    expect(pilot.dirac_properties).toEqual(['GenericPilot']);
  });

  it('refuses a missing token with 401 and says what is needed', async () => {
    const response = await runtime.api('/api/auth/userinfo', { as: 'none' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await bodyOf(response)).detail).toMatch(/bearer token is required/);
  });

  it('refuses an expired token with 401', async () => {
    const expired = await runtime.authority.sign(
      { vo: 'vo.example.org', username: 'alice', group: 'user', properties: ['NormalUser'] },
      -60,
    );
    const response = await runtime.api('/api/auth/userinfo', {
      as: 'none',
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(response.status).toBe(401);
    expect((await bodyOf(response)).detail).toMatch(/expired/);
  });

  it('refuses a token with a forged signature with 401', async () => {
    const [header, payload] = runtime.tokens.admin.split('.');
    const forged = `${header}.${payload}.${runtime.tokens.user.split('.')[2]}`;
    const response = await runtime.api('/api/auth/userinfo', {
      as: 'none',
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(response.status).toBe(401);
  });

  it('refuses garbage in the Authorization header with 401', async () => {
    const response = await runtime.api('/api/auth/userinfo', {
      as: 'none',
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(response.status).toBe(401);
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    const unknown = await runtime.api('/api/nothing/here');
    expect(unknown.status).toBe(404);
    expect((await bodyOf(unknown)).detail).toMatch(/No route/);
    const wrongMethod = await runtime.api('/api/health', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
  });
});
