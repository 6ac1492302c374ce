/**
 * The HTTP API: one route per route key a function declares. Every route goes through the Lambda
 * authorizer (functions/authorizer.ts: the identity provider's tokens and muon's payload tokens)
 * unless its function lists it in `publicRoutes`. The authorizer's answer is cached per
 * Authorization header for a minute; whether a payload token's job is still live is checked by
 * the function on every call, so the cache cannot stretch a payload token past its job.
 */

import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { authorizerFunction, physicalName } from '#shared/resources.ts';
import { lookup, parseRouteKey, type ResourceDefinition } from '../definition.ts';

export interface ApiProps {
  readonly prefix: string;
  readonly functions: ResourceDefinition['functions'];
  readonly handlers: Readonly<Record<string, lambda.IFunction>>;
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
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
        this.httpApi.addRoutes({
          path,
          methods: [method],
          integration,
          ...(definition.publicRoutes?.includes(routeKey) ? { authorizer: none } : {}),
        });
      }
    }
  }
}

const httpMethods: readonly string[] = Object.values(apigw.HttpMethod);
const isHttpMethod = (value: string): value is apigw.HttpMethod => httpMethods.includes(value);
