/**
 * The HTTP API: one route per route key a function declares. Every route goes through the Lambda
 * authorizer (functions/authorizer.ts: the identity provider's tokens and muon's payload tokens)
 * unless its function lists it in `publicRoutes`. The authorizer's answer is cached per
 * Authorization header for a minute; whether a payload token's job is still live is checked by
 * the function on every call, so the cache cannot stretch a payload token past its job.
 */

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { authorizerFunction, physicalName } from '#shared/resources.ts';
import { lookup, parseRouteKey, type ResourceDefinition } from '../definition.ts';
import { suppress } from './nag.ts';

export interface ApiProps {
  readonly prefix: string;
  readonly functions: ResourceDefinition['functions'];
  readonly handlers: Readonly<Record<string, lambda.IFunction>>;
  readonly guards: ApiGuards;
}

export interface ApiGuards {
  /** Steady requests per second over all routes of the stage. */
  readonly rateLimit: number;
  /** Requests the stage takes at once above the steady rate. */
  readonly burstLimit: number;
  /** Origins allowed to call the API from a browser (`*`: any; tokens are bearer, never cookies). */
  readonly corsOrigins: readonly string[];
}

export const defaultApiGuards: ApiGuards = { rateLimit: 200, burstLimit: 400, corsOrigins: ['*'] };

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** The API's base URL, without a trailing slash (routes start with `/api/`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const authorizer = new HttpLambdaAuthorizer(
      'Tokens',
      lookup(props.handlers, 'function', authorizerFunction(props.functions), 'the HTTP API'),
      {
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: ['$request.header.Authorization'],
        resultsCacheTtl: Duration.seconds(60),
      },
    );
    // Deny by default: a route is public only when its function says so.
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: physicalName(props.prefix, 'api'),
      defaultAuthorizer: authorizer,
      // The $default stage is added below with throttling and access logs.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...props.guards.corsOrigins],
        allowMethods: [apigw.CorsHttpMethod.ANY],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'range'],
        exposeHeaders: ['content-range', 'x-request-id'],
        maxAge: Duration.hours(1),
      },
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${physicalName(props.prefix, 'api')}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.httpApi.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.guards.rateLimit, burstLimit: props.guards.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
    this.url = this.httpApi.apiEndpoint;
    const none = new apigw.HttpNoneAuthorizer();
    for (const [name, definition] of Object.entries(props.functions)) {
      if (definition.routes.length === 0) continue;
      const handler = lookup(props.handlers, 'function', name, 'the HTTP API');
      const integration = new HttpLambdaIntegration(`${name}Integration`, handler);
      for (const routeKey of definition.routes) {
        const { method, path } = parseRouteKey(routeKey);
        if (!isHttpMethod(method)) throw new Error(`Route "${routeKey}" has an unknown method.`);
        const isPublic = definition.publicRoutes?.includes(routeKey) ?? false;
        const routes = this.httpApi.addRoutes({
          path,
          methods: [method],
          integration,
          ...(isPublic ? { authorizer: none } : {}),
        });
        if (isPublic)
          for (const route of routes)
            suppress(route, 'AwsSolutions-APIG4', [
              `${routeKey} is public by its declaration (publicRoutes and its route's caller: 'public'),`,
              'listed as such in docs/security.md.',
            ]);
      }
    }
  }
}

/** One access-log line: who asked what, the answer, and the request id the response carries. */
const accessLogFields = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  length: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

const httpMethods: readonly string[] = Object.values(apigw.HttpMethod);
const isHttpMethod = (value: string): value is apigw.HttpMethod => httpMethods.includes(value);
