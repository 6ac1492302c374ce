/** Where the CLI finds the API: a value that is not an http(s) URL is refused, naming its source. */
import { describe, expect, it } from 'vitest';
import { resolveApiUrl } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';

const none = () => undefined;

describe('resolveApiUrl', () => {
  it('takes an http or https URL from --api-url, MUON_API_URL or local.json', () => {
    expect(resolveApiUrl({ apiUrl: 'https://wms.example.org/' }, {}, none)).toBe('https://wms.example.org/');
    expect(resolveApiUrl({}, { MUON_API_URL: 'http://127.0.0.1:8080' }, none)).toBe('http://127.0.0.1:8080');
  });

  it.each([
    [{ apiUrl: 'notaurl' }, {}, '--api-url "notaurl"'],
    [{}, { MUON_API_URL: '127.0.0.1:8080' }, 'MUON_API_URL "127.0.0.1:8080"'],
    [{ apiUrl: 'ftp://host/' }, {}, '--api-url "ftp://host/"'],
  ])('refuses %j %j as a usage error naming where it came from', (options, env, named) => {
    let error: unknown;
    try {
      resolveApiUrl(options, env, none);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      `${named} is not an http:// or https:// URL, e.g. http://127.0.0.1:8080.`,
    );
  });
});
