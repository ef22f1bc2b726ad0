/**
 * The HTTP entry: an API Gateway HTTP API with three routes mirroring DigiCert's own paths,
 * `PUT /order/certificate/{order_id}/resend-emails` (docs/contract.md §2) and the read-only
 * `GET /domain/{domain}/dcv/emails` (§9) and `GET /order/certificate/{order_id}/dcv` (§10), and
 * `POST /order/certificate/{order_id}/dcv/dns` (§12, which starts the DNS-DCV workflow), all behind
 * the same authorizer.
 * Callers sign with SigV4 (IAM) by default, or present a JWT; every other path answers 404 from
 * API Gateway without invoking the function. The stage is throttled and writes JSON access logs.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DCV_EMAILS_ROUTE,
  DCV_STATUS_ROUTE,
  DEPLOYMENT_DEFAULTS,
  DNS_DCV_ROUTE,
  HTTP_LIMITS,
  RESEND_ROUTE,
  RESEND_ROUTE_KEY,
} from '../../functions/app/contract.js';
import type { HttpAuthConfig } from '../stack-config.js';

/** What one access-log line holds: who called, what, and how it ended. No bodies, no headers. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.userArn',
  jwtSubject: '$context.authorizer.claims.sub',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  errorMessage: '$context.error.message',
} as const;

export interface ResendApiProps {
  /** The function behind the route. */
  readonly handler: lambda.IFunction;
  /**
   * How callers authenticate.
   * @default { type: 'iam' } (SigV4; grant callers `execute-api:Invoke` on `invokeArn`)
   */
  readonly auth?: HttpAuthConfig;
  /**
   * Steady-state requests per second for the stage. API Gateway answers requests beyond it (and
   * beyond the burst) with its own 429, before Lambda; the function's reserved concurrency must hold
   * every request it admits (burst + rate x 28 s, the longest an HTTP invocation lasts), so that no
   * caller meets a Lambda throttle, which API Gateway would turn into a 500 (docs/deploy.md).
   * @default 2
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests the stage accepts above the rate.
   * @default 10
   */
  readonly burstLimit?: number;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An HTTP API with the resend, DCV-address, DCV-status and DNS-DCV routes, IAM or JWT auth, throttling and JSON access logs. */
export class ResendApi extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** The `execute-api` ARN to grant callers (`execute-api:Invoke`) when auth is IAM. */
  readonly invokeArn: string;
  /** The `execute-api` ARN of `GET /domain/{domain}/dcv/emails`, granted separately (it reads DigiCert). */
  readonly dcvEmailsInvokeArn: string;
  /** The `execute-api` ARN of `GET /order/certificate/{order_id}/dcv`, granted separately (it reads DigiCert). */
  readonly dcvStatusInvokeArn: string;
  /** The `execute-api` ARN of `POST /order/certificate/{order_id}/dcv/dns`, granted separately (it changes the order and DNS). */
  readonly dnsDcvInvokeArn: string;
  /** The route URL template, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/order/...`. */
  readonly routeUrl: string;

  constructor(scope: Construct, id: string, props: ResendApiProps) {
    super(scope, id);
    const auth = props.auth ?? { type: 'iam' };

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: `dcv-resend: ${RESEND_ROUTE_KEY}`,
      createDefaultStage: false,
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? DEPLOYMENT_DEFAULTS.logRetentionDays,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.rateLimit ?? DEPLOYMENT_DEFAULTS.apiRateLimit,
        burstLimit: props.burstLimit ?? DEPLOYMENT_DEFAULTS.apiBurstLimit,
      },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const authorizer =
      auth.type === 'jwt'
        ? new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: [...auth.audience] })
        : new HttpIamAuthorizer();
    // Payload format 2.0; the handler also accepts REST 1.0 events should a REST API front it.
    const integration = new HttpLambdaIntegration('ResendIntegration', props.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      timeout: Duration.seconds(HTTP_LIMITS.integrationTimeoutSeconds),
    });
    this.httpApi.addRoutes({
      path: RESEND_ROUTE.path,
      methods: [apigw.HttpMethod[RESEND_ROUTE.method]],
      integration,
      authorizer,
    });
    this.httpApi.addRoutes({
      path: DCV_EMAILS_ROUTE.path,
      methods: [apigw.HttpMethod[DCV_EMAILS_ROUTE.method]],
      integration,
      authorizer,
    });
    this.httpApi.addRoutes({
      path: DCV_STATUS_ROUTE.path,
      methods: [apigw.HttpMethod[DCV_STATUS_ROUTE.method]],
      integration,
      authorizer,
    });
    this.httpApi.addRoutes({
      path: DNS_DCV_ROUTE.path,
      methods: [apigw.HttpMethod[DNS_DCV_ROUTE.method]],
      integration,
      authorizer,
    });

    this.invokeArn = this.httpApi.arnForExecuteApi(
      RESEND_ROUTE.method,
      RESEND_ROUTE.path.replace('{order_id}', '*'),
      '$default',
    );
    this.dcvEmailsInvokeArn = this.httpApi.arnForExecuteApi(
      DCV_EMAILS_ROUTE.method,
      DCV_EMAILS_ROUTE.path.replace('{domain}', '*'),
      '$default',
    );
    this.dcvStatusInvokeArn = this.httpApi.arnForExecuteApi(
      DCV_STATUS_ROUTE.method,
      DCV_STATUS_ROUTE.path.replace('{order_id}', '*'),
      '$default',
    );
    this.dnsDcvInvokeArn = this.httpApi.arnForExecuteApi(
      DNS_DCV_ROUTE.method,
      DNS_DCV_ROUTE.path.replace('{order_id}', '*'),
      '$default',
    );
    this.routeUrl = `${this.httpApi.apiEndpoint}${RESEND_ROUTE.path}`;
  }
}
