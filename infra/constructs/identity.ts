/**
 * The identity provider the stack brings with `-c identity=cognito`: a Cognito user pool (Essentials
 * feature plan, which the V2/V3 pre-token-generation events need to customise access tokens), one
 * Cognito group per DIRAC group of the configuration (`<vo>:<group>`), the pre-token-generation
 * trigger that writes `vo`, `dirac_group` and `dirac_properties` (functions/cognito-pre-token.ts),
 * a hosted sign-in domain, the CLI's public app client (authorization code + PKCE on the
 * loopback redirect `muon login --port 8400` serves) and the pilots' confidential client (client
 * credentials, scope `<prefix>-api/pilot`; the V3 event gives its tokens the GenericPilot group).
 * The stack then trusts the pool's issuer and these two clients (docs/identity.md). DIRAC counterpart: DiracX's own token issuer and its IAM link.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { cognitoGroups } from '#shared/auth/cognito-claims.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { cognitoPreTokenFunction } from '#shared/resources.ts';
import { muonFunction } from './functions.ts';
import { suppress } from './nag.ts';

/** The loopback port `muon login --port` listens on for Cognito, which needs exact callback URLs. */
export const cognitoLoginPort = 8400;
export const cognitoCallbackUrls = [
  `http://127.0.0.1:${cognitoLoginPort}/callback`,
  `http://localhost:${cognitoLoginPort}/callback`,
];

export interface CognitoIdentityProps {
  readonly prefix: string;
  readonly config: MuonConfig;
}

export class CognitoIdentity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly cliClient: cognito.UserPoolClient;
  readonly pilotClient: cognito.UserPoolClient;
  /** The web monitor's public client; its redirect is the monitor's address (`setWebUrl`). */
  readonly webClient: cognito.UserPoolClient;
  /** The API as a resource server: `<prefix>-api`, scope `pilot`. */
  readonly resourceServer: cognito.UserPoolResourceServer;
  readonly trigger: NodejsFunction;
  readonly domain: cognito.UserPoolDomain;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the issuer the API trusts. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: CognitoIdentityProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `${props.prefix}-users`,
      // Access-token claims (the V2 trigger event) need Essentials or Plus.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // Accounts are made by an administrator (docs/deploy.md), as VO membership is granted.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    suppress(
      this.userPool,
      ['AwsSolutions-COG3', 'AwsSolutions-COG8'],
      [
        'Threat protection (advanced security ENFORCED) needs the Plus feature plan; the Essentials plan',
        'is what access-token customisation needs, and MFA is required for every user.',
      ],
    );

    // Cognito group names are the DIRAC groups, qualified by VO: a user's groups pick their claims.
    for (const group of cognitoGroups(props.config)) {
      new cognito.CfnUserPoolGroup(this, `Group${group.precedence}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group.name,
        description: `DIRAC group ${group.group} of ${group.vo}`,
        precedence: group.precedence,
      });
    }

    this.trigger = muonFunction(this, 'cognitoPreToken', cognitoPreTokenFunction, { prefix: props.prefix });
    this.userPool.addTrigger(
      cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.trigger,
      // V3: the V2 event for users, plus client-credentials tokens (pilots).
      cognito.LambdaVersion.V3_0,
    );

    // The hosted sign-in pages (authorization endpoint); the prefix must be unique in the region.
    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: `${props.prefix}-${Aws.ACCOUNT_ID}` },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });

    this.cliClient = this.userPool.addClient('Cli', {
      userPoolClientName: `${props.prefix}-cli`,
      // A public client: PKCE protects the code, as RFC 8252 asks of native applications.
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE, cognito.OAuthScope.EMAIL],
        callbackUrls: cognitoCallbackUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.webClient = this.userPool.addClient('Web', {
      userPoolClientName: `${props.prefix}-web`,
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE],
        // Replaced by the monitor's own address once the stack has made it (setWebUrl).
        callbackUrls: ['https://example.com/'],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
    });

    // Client credentials need a custom scope: one resource server for the API, one scope for pilots.
    const pilotScope = new cognito.ResourceServerScope({
      scopeName: 'pilot',
      scopeDescription: 'A muon pilot: matches and runs jobs (GenericPilot).',
    });
    this.resourceServer = this.userPool.addResourceServer('Api', {
      identifier: `${props.prefix}-api`,
      userPoolResourceServerName: `${props.prefix} API`,
      scopes: [pilotScope],
    });
    // Its id and secret go into the stack's pilot secret (docs/deploy.md).
    this.pilotClient = this.userPool.addClient('Pilot', {
      userPoolClientName: `${props.prefix}-pilot`,
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [cognito.OAuthScope.resourceServer(this.resourceServer, pilotScope)],
      },
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
    });
    this.issuer = this.userPool.userPoolProviderUrl;
  }

  /** The web monitor signs in and out at `<url>/` (docs/web.md). */
  setWebUrl(url: string): void {
    const client = this.webClient.node.defaultChild as cognito.CfnUserPoolClient;
    client.callbackUrLs = [`${url}/`];
    client.logoutUrLs = [`${url}/`];
  }

  /**
   * The configuration the stack deploys: the pool as the issuer, the CLI, pilot and web clients as
   * audiences, the CLI client as login client, so that the authorizer trusts exactly this pool (its values are known at deploy,
   * and the live document is written then).
   */
  configure(config: MuonConfig): MuonConfig {
    return {
      ...config,
      auth: {
        ...config.auth,
        issuer: this.issuer,
        audience: [
          this.cliClient.userPoolClientId,
          this.pilotClient.userPoolClientId,
          this.webClient.userPoolClientId,
        ],
        login: { ...config.auth.login, clientId: this.cliClient.userPoolClientId },
      },
    };
  }
}
