import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS } from '../../infra/constructs/resend-api.js';
import { onlyResource, synth } from './support.js';

const ROUTE_KEY = 'PUT /order/certificate/{order_id}/resend-emails';
const DCV_EMAILS_ROUTE_KEY = 'GET /domain/{domain}/dcv/emails';
const DCV_STATUS_ROUTE_KEY = 'GET /order/certificate/{order_id}/dcv';
const DNS_DCV_ROUTE_KEY = 'POST /order/certificate/{order_id}/dcv/dns';

describe('the HTTP API', () => {
  it('is an HTTP API with four routes: the resend PUT, the DCV-address GET, the DCV-status GET and the DNS-DCV POST', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 4);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: ROUTE_KEY });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: DCV_EMAILS_ROUTE_KEY });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: DCV_STATUS_ROUTE_KEY });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: DNS_DCV_ROUTE_KEY });
  });

  it('requires SigV4 (AWS_IAM) on every route by default', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: ROUTE_KEY,
      AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: DCV_EMAILS_ROUTE_KEY,
      AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: DCV_STATUS_ROUTE_KEY,
      AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: DNS_DCV_ROUTE_KEY,
      AuthorizationType: 'AWS_IAM',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('uses a JWT authorizer with the configured issuer and audiences when httpAuth is jwt', () => {
    const { template } = synth({
      httpAuth: 'jwt',
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      jwtAudience: '["client-a","client-b"]',
    });

    const authorizer = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        Audience: ['client-a', 'client-b'],
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: ROUTE_KEY,
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizer.logicalId },
    });
  });

  it('sends payload format 2.0 to the function within API Gateway’s 29-second limit', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: 29_000,
    });
  });

  it('throttles the $default stage at 2 requests/s with a burst of 10 by default, configurable', () => {
    const defaults = synth().template;
    const custom = synth({ apiRateLimit: '3', apiBurstLimit: 6 }).template;

    defaults.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 10 },
    });
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 },
    });
  });

  it('writes JSON access logs (no bodies, no headers) to a log group with a retention', () => {
    const { template } = synth();

    const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage').properties as {
      AccessLogSettings: { Format: string; DestinationArn: unknown };
    };
    expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual(ACCESS_LOG_FIELDS);
    expect(stage.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('outputs the route URL and, for IAM auth, the execute-api ARN to grant callers', () => {
    const { template } = synth();

    template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [Match.anyValue(), 'ApiEndpoint'] },
            '/order/certificate/{order_id}/resend-emails',
          ],
        ],
      },
    });
    template.hasOutput('InvokePermissionResource', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['/$default/PUT/order/certificate/*/resend-emails'])] },
    });
    template.hasOutput('DcvEmailsInvokePermissionResource', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['/$default/GET/domain/*/dcv/emails'])] },
    });
    template.hasOutput('DcvStatusInvokePermissionResource', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['/$default/GET/order/certificate/*/dcv'])] },
    });
  });

  it('outputs no execute-api ARN with JWT auth, where IAM grants nothing', () => {
    const { template } = synth({
      httpAuth: 'jwt',
      jwtIssuer: 'https://issuer.example.com',
      jwtAudience: 'client',
    });

    expect(Object.keys(template.findOutputs('*'))).not.toContain('InvokePermissionResource');
    expect(Object.keys(template.findOutputs('*'))).not.toContain('DcvEmailsInvokePermissionResource');
    expect(Object.keys(template.findOutputs('*'))).not.toContain('DcvStatusInvokePermissionResource');
  });
});
