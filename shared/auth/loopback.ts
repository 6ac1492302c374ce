/**
 * Whether a URL names this machine. An identity provider may be reached over plain HTTP only
 * there (the embedded runtime's, tests): `muon login` and the pilot's client credentials both
 * allow openid-client's insecure requests by this rule alone.
 */
const loopbackHosts: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export const isLoopback = (url: URL): boolean => loopbackHosts.includes(url.hostname);
