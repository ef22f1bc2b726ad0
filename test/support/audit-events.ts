/**
 * Lambda contexts and events shaped like AWS's published samples, for the contract audit
 * (the `*-contract.int.test.ts` files): HTTP API payload 2.0 with IAM and JWT authorizers, on the
 * `$default` and on a named stage; REST API 1.0 proxy events; EventBridge rule envelopes; SQS
 * event source mapping batches.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}
export type BundleHandler = (event: unknown, context: Context) => Promise<unknown>;

export function context(remainingMs = 25_000, awsRequestId: string = randomUUID()): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'DcvResend-Function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:DcvResend-Function',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/DcvResend-Function',
    logStreamName: '2026/12/02/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const ROUTE_KEY = 'PUT /order/certificate/{order_id}/resend-emails';

export interface V2Options {
  readonly method?: string;
  readonly orderId?: string;
  readonly rawPath?: string;
  readonly stage?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly authorizer?: 'iam' | 'jwt';
  readonly routeKey?: string;
  readonly pathParameters?: Record<string, string>;
}

/** AWS's HTTP API payload 2.0 sample, for the resend route. */
export function v2(options: V2Options = {}): Record<string, unknown> {
  const orderId = options.orderId ?? '123';
  const stage = options.stage ?? '$default';
  const route = `/order/certificate/${orderId}/resend-emails`;
  const rawPath = options.rawPath ?? (stage === '$default' ? route : `/${stage}${route}`);
  const method = options.method ?? 'PUT';
  const authorizer =
    options.authorizer === 'jwt'
      ? {
          jwt: {
            claims: { iss: 'https://issuer.example.com', sub: 'user-1', scope: 'dcv/resend' },
            scopes: ['dcv/resend'],
          },
        }
      : {
          iam: {
            accessKey: 'ASIAEXAMPLEACCESSKEY',
            accountId: '111122223333',
            callerId: 'AIDAEXAMPLECALLERID',
            cognitoIdentity: null,
            principalOrgId: 'o-example',
            userArn: 'arn:aws:iam::111122223333:user/example-user',
            userId: 'AIDAEXAMPLEUSERID',
          },
        };
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: options.routeKey ?? ROUTE_KEY,
    rawPath,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(options.body?.length ?? 0),
      host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e',
      'x-forwarded-for': '192.0.2.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer,
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl/8.5.0' },
      requestId: `JKJaXmPLvHcESHA=${Math.random().toString(36).slice(2, 8)}`,
      routeKey: options.routeKey ?? ROUTE_KEY,
      stage,
      time: '02/Dec/2026:00:30:00 +0000',
      timeEpoch: 1_796_085_000_000,
    },
    pathParameters: options.pathParameters ?? { order_id: orderId },
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
  // HTTP APIs leave `body` out when there is none.
  if (options.body !== undefined) event.body = options.body;
  return event;
}

export interface V1Options {
  readonly orderId?: string;
  readonly path?: string;
  readonly resource?: string;
  readonly pathParameters?: Record<string, string> | null;
  readonly headers?: Record<string, string> | null;
  readonly multiValueHeaders?: Record<string, string[]> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly method?: string;
}

/** AWS's REST API 1.0 proxy sample, for the resend resource. */
export function v1(options: V1Options = {}): Record<string, unknown> {
  const orderId = options.orderId ?? '123';
  const path = options.path ?? `/order/certificate/${orderId}/resend-emails`;
  const resource = options.resource ?? '/order/certificate/{order_id}/resend-emails';
  const headers = options.headers === undefined ? { 'Content-Type': 'application/json' } : options.headers;
  const multi =
    options.multiValueHeaders === undefined
      ? headers === null
        ? null
        : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]))
      : options.multiValueHeaders;
  return {
    resource,
    path,
    httpMethod: options.method ?? 'PUT',
    headers,
    multiValueHeaders: multi,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters === undefined ? { order_id: orderId } : options.pathParameters,
    stageVariables: null,
    requestContext: {
      resourceId: '2gxmpl',
      resourcePath: resource,
      httpMethod: options.method ?? 'PUT',
      extendedRequestId: 'JJbxmplHYosFVYQ=',
      requestTime: '02/Dec/2026:00:30:00 +0000',
      path: `/prod${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'prod',
      domainPrefix: '70ixmpl4fl',
      requestTimeEpoch: 1_796_085_000_000,
      requestId: 'e1506fd5-9e7b-434f-bd42-4f8fa224b599',
      identity: {
        cognitoIdentityPoolId: null,
        accountId: '111122223333',
        caller: 'AIDAEXAMPLE',
        sourceIp: '192.0.2.1',
        principalOrgId: null,
        accessKey: 'ASIAEXAMPLE',
        userArn: 'arn:aws:iam::111122223333:user/example-user',
        userAgent: 'curl/8.5.0',
        user: 'AIDAEXAMPLE',
      },
      domainName: '70ixmpl4fl.execute-api.us-east-2.amazonaws.com',
      apiId: '70ixmpl4fl',
    },
    body: options.body === undefined ? null : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** EventBridge rule event envelope around `detail`. */
export function eventBridge(detail: unknown, id: string = randomUUID()): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'DCV resend requested',
    source: 'com.example.certificates',
    account: '123456789012',
    time: '2026-12-02T00:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount?: number;
}

/** AWS's SQS event sample (an event source mapping's batch). */
export function sqsEvent(messages: readonly SqsMessage[]): Record<string, unknown> {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a${m.messageId}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount ?? 1),
        SentTimestamp: '1796085000000',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1796085000001',
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:DcvResend-Orders',
      awsRegion: 'us-east-1',
    })),
  };
}
