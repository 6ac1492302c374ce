/**
 * What the identity routes answer (functions/auth.ts), one schema per message: DiracX's
 * `UserInfoResponse`, and where `muon login` signs in (DiracX's `dirac login` reads the same from
 * its server). The OpenAPI document (shared/http/openapi-pilots.ts) describes them from here.
 */
import { z } from 'zod';

export const userInfoSchema = z.object({
  vo: z.string(),
  sub: z.string(),
  preferred_username: z.string(),
  dirac_group: z.string(),
  dirac_properties: z.array(z.string()),
});
export type UserInfo = z.infer<typeof userInfoSchema>;

export const loginClientSchema = z.object({
  issuer: z.string().meta({ description: "The identity provider's issuer URL (OpenID Connect discovery)." }),
  client_id: z.string().meta({ description: "The CLI's public client (no secret)." }),
  scope: z.string(),
  audience: z.array(z.string()).meta({ description: 'Audiences the API accepts in a token.' }),
  resource: z.string().optional().meta({ description: 'RFC 8707 resource indicator to ask tokens for.' }),
});
export type LoginClient = z.infer<typeof loginClientSchema>;
