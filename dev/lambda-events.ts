/** A typed fake Lambda `Context` and API Gateway event factories shared by the tests. */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { RESEND_ROUTE, RESEND_ROUTE_KEY, resendPath } from '../functions/app/contract.js';
import { safeDecode } from '../functions/triggers/api-gateway.js';

let sequence = 0;

/**
 * A complete Lambda `Context` around the two things the handler reads: the request id and the
 * remaining time. Used by the tests, the benchmark and the local servers alike.
 */
export function lambdaContext(
  awsRequestId: string,
  getRemainingTimeInMillis: () => number,
  functionName = 'resend-dcv-emails',
): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/29/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A Lambda context whose deadline is `remainingMs` from now. */
export function fakeContext(remainingMs = 30_000, now: () => number = Date.now): Context {
  const deadline = now() + remainingMs;
  sequence += 1;
  return lambdaContext(`00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`, () =>
    Math.max(0, deadline - now()),
  );
}

export interface HttpEventOptions {
  /** The path segment after `/order/certificate/`, as sent. @default '123' */
  readonly orderId?: string;
  readonly body?: string | undefined;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly isBase64Encoded?: boolean;
  /** Overrides the whole path. */
  readonly path?: string;
  /**
   * Who API Gateway's authorizer says is calling, in the request context of AWS's sample events:
   * an IAM principal (HTTP API `authorizer.iam`, REST `identity.userArn`) or JWT claims (HTTP API
   * `authorizer.jwt.claims`, a REST Cognito authorizer's `authorizer.claims`). @default none
   */
  readonly caller?: EventCaller;
}

/** An authorised caller of an API Gateway event. */
export type EventCaller =
  | { readonly iamUserArn: string }
  | { readonly jwt: { readonly iss: string; readonly sub: string } };

/** The account of an IAM principal ARN, as AWS's sample events carry it beside the ARN. */
const accountOf = (arn: string) => arn.split(':')[4] ?? '111122223333';

/** HTTP API (2.0) `requestContext.authorizer`, shaped as AWS's IAM and JWT sample events. */
function v2Authorizer(caller: EventCaller): Record<string, unknown> {
  if ('iamUserArn' in caller) {
    return {
      iam: {
        accessKey: 'ASIAIOSFODNN7EXAMPLE',
        accountId: accountOf(caller.iamUserArn),
        callerId: 'AIDACKCEVSQ6C2EXAMPLE',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: caller.iamUserArn,
        userId: 'AIDACOSFODNN7EXAMPLE2',
      },
    };
  }
  return {
    jwt: {
      claims: { ...caller.jwt, aud: 'dcv-resend', exp: '1795971600', iat: '1795968000' },
      scopes: ['dcv/resend'],
    },
    principalId: '',
    integrationLatency: 0,
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** An API Gateway HTTP API (payload 2.0) event for the resend route. */
export function httpV2Event(options: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const orderId = options.orderId ?? '123';
  const path = options.path ?? resendPath(orderId);
  const method = options.method ?? RESEND_ROUTE.method;
  sequence += 1;
  return {
    version: '2.0',
    routeKey: RESEND_ROUTE_KEY,
    rawPath: path,
    rawQueryString: '',
    headers: { ...JSON_HEADERS, ...options.headers },
    pathParameters: { order_id: safeDecode(orderId) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: `req-v2-${sequence}`,
      routeKey: RESEND_ROUTE_KEY,
      stage: '$default',
      time: '29/Nov/2026:16:00:00 +0000',
      timeEpoch: 1795968000000,
      ...(options.caller === undefined ? {} : { authorizer: v2Authorizer(options.caller) }),
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** An API Gateway REST API (payload 1.0) proxy event for the resend route. */
export function httpV1Event(options: HttpEventOptions = {}): APIGatewayProxyEvent {
  const orderId = options.orderId ?? '123';
  const iamUserArn =
    options.caller !== undefined && 'iamUserArn' in options.caller ? options.caller.iamUserArn : null;
  const path = options.path ?? resendPath(orderId);
  sequence += 1;
  return {
    resource: RESEND_ROUTE.path,
    path,
    httpMethod: options.method ?? RESEND_ROUTE.method,
    headers: { ...JSON_HEADERS, ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { order_id: safeDecode(orderId) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      // A REST Cognito user pool authorizer's claims (AWS's sample event), else none.
      authorizer:
        options.caller !== undefined && 'jwt' in options.caller
          ? { claims: { ...options.caller.jwt, 'cognito:username': 'example-user', token_use: 'id' } }
          : null,
      protocol: 'HTTP/1.1',
      httpMethod: options.method ?? RESEND_ROUTE.method,
      identity: {
        accessKey: iamUserArn === null ? null : 'ASIAIOSFODNN7EXAMPLE',
        accountId: iamUserArn === null ? null : accountOf(iamUserArn),
        apiKey: null,
        apiKeyId: null,
        caller: iamUserArn === null ? null : 'AIDACOSFODNN7EXAMPLE2',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '192.0.2.1',
        user: iamUserArn === null ? null : 'AIDACOSFODNN7EXAMPLE2',
        userAgent: 'vitest',
        userArn: iamUserArn,
      },
      path: `/prod${path}`,
      stage: 'prod',
      requestId: `req-v1-${sequence}`,
      requestTimeEpoch: 1795968000000,
      resourceId: 'res123',
      resourcePath: RESEND_ROUTE.path,
    },
    body: options.body ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}
