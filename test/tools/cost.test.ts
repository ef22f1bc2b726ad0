/**
 * The bench's cost model (`tools/bench/cost.ts`): figures computed by hand from the prices, so that
 * a unit slip (per million against per thousand, MB against GB) shows as a wrong dollar amount.
 */
import { describe, expect, it } from 'vitest';
import {
  costPer1000DnsValidations,
  costPer1000Resends,
  dynamoDbUnits,
  FIXED_MONTHLY,
  PRICES,
} from '../../tools/bench/cost.js';
import { queueBilledMsPerOrder, stepFunctionsLogBytes, transitionsOf } from '../../tools/bench/rows/cost.js';

describe('the cost of 1,000 resends', () => {
  it('charges each service its unit price: requests per million, duration per GB-second, logs per GB', () => {
    const usage = {
      lambda: { invocations: 1, billedMs: 200, memoryMb: 256 },
      apiRequests: 1,
      table: { readUnits: 1, writeUnits: 4 },
      secretsCalls: 0.01,
      logBytes: 1024,
    };

    const cost = costPer1000Resends(usage);

    // 1,000 requests at $0.20 per million; 1,000 × 0.2 s × 0.25 GB = 50 GB-s at $0.0000133334.
    expect(cost.byService.lambdaRequests).toBeCloseTo(0.0002, 10);
    expect(cost.byService.lambdaDuration).toBeCloseTo(0.00066667, 8);
    expect(cost.byService.apiGateway).toBeCloseTo(0.001, 10);
    // 4,000 WRU at $0.625 per million; 1,000 RRU at $0.125 per million.
    expect(cost.byService.dynamoDbWrites).toBeCloseTo(0.0025, 10);
    expect(cost.byService.dynamoDbReads).toBeCloseTo(0.000125, 10);
    // 10 calls at $0.05 per 10,000.
    expect(cost.byService.secretsManager).toBeCloseTo(0.00005, 10);
    // 1,024,000 bytes = 0.00095367 GB (2^30 bytes) at $0.50.
    expect(cost.byService.logs).toBeCloseTo(0.000476837, 9);
    expect(cost.byService.sqs).toBe(0);
    expect(cost.byService.stepFunctions).toBe(0);
    expect(cost.total).toBeCloseTo(0.005018507, 8);
  });

  it('counts queue requests per million, whatever else the resend used', () => {
    const cost = costPer1000Resends({
      lambda: { invocations: 0, billedMs: 0, memoryMb: 256 },
      queueRequests: 2.5,
    });

    // 2,500 requests at $0.40 per million.
    expect(cost.byService.sqs).toBeCloseTo(0.001, 10);
    expect(cost.total).toBeCloseTo(0.001, 10);
  });
});

describe('the cost of 1,000 DNS validations', () => {
  it('adds Step Functions per 1,000 transitions and Route 53 queries per million, its API calls free', () => {
    const usage = {
      lambda: { invocations: 6, billedMs: 1200, memoryMb: 256 },
      stateTransitions: 12,
      route53ApiCalls: 6,
      dnsQueries: 2,
    };

    const cost = costPer1000DnsValidations(usage);

    // 12,000 transitions at $0.025 per 1,000.
    expect(cost.byService.stepFunctions).toBeCloseTo(0.3, 10);
    // 2,000 queries at $0.40 per million.
    expect(cost.byService.route53Queries).toBeCloseTo(0.0008, 10);
    expect(cost.byService.route53Api).toBe(0);
    // 6,000 invocations; 1,000 × 1.2 s × 0.25 GB = 300 GB-s.
    expect(cost.byService.lambdaRequests).toBeCloseTo(0.0012, 10);
    expect(cost.byService.lambdaDuration).toBeCloseTo(0.00400002, 8);
    expect(cost.total).toBeCloseTo(0.3 + 0.0008 + 0.0012 + 0.00400002, 8);
  });
});

describe('request units of a state-table request', () => {
  it.each([
    ['UpdateItem', {}, { read: 0, write: 1 }],
    ['PutItem', {}, { read: 0, write: 1 }],
    ['GetItem', { ConsistentRead: true }, { read: 1, write: 0 }],
    ['GetItem', {}, { read: 0.5, write: 0 }],
    ['TransactWriteItems', { TransactItems: [{}, {}] }, { read: 0, write: 4 }],
    ['TransactGetItems', { TransactItems: [{}] }, { read: 2, write: 0 }],
    [
      'BatchGetItem',
      { RequestItems: { state: { Keys: [{}, {}, {}], ConsistentRead: true }, other: { Keys: [{}] } } },
      { read: 3.5, write: 0 },
    ],
    ['BatchWriteItem', { RequestItems: { state: [{}, {}] } }, { read: 0, write: 2 }],
    ['DescribeTable', {}, { read: 0, write: 0 }],
  ])('%s %j costs %j', (operation, body, units) => {
    expect(dynamoDbUnits(operation, body)).toEqual(units);
  });
});

describe('the price list', () => {
  it('gives every price a unit, the region, a source and the day it was read', () => {
    for (const [name, price] of Object.entries({ ...PRICES, ...FIXED_MONTHLY })) {
      expect(price.unit, name).not.toBe('');
      expect(price.region, name).toBe('us-east-1');
      expect(price.source, name).toMatch(/^(https:\/\/|not found in stored pages)/);
      expect(price.read, name).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
  });

  it('says where a price was not found rather than citing a page for it', () => {
    expect(PRICES.route53ApiCalls.source).toMatch(/^not found in stored pages; value 0 from /);
  });
});

describe('what the cost row counts', () => {
  it('counts a Standard transition for each state entered, the unnamed Choice states and each retry', () => {
    const history = [
      'Publish',
      'WaitForSync',
      'ChangeStatus',
      'WaitForSync',
      'ChangeStatus',
      'Check',
      'WaitBeforeCheck',
      'Check',
      'Cleanup',
      'Validated',
    ];

    // 10 entered, InSync after 2 ChangeStatus, CheckOutcome after 2 Check, 1 retry.
    expect(transitionsOf(history, 1)).toBe(15);
  });

  it('bills a backlogged queue consumer for its wait on the budget: 2 consumers at 5 orders a second', () => {
    expect(queueBilledMsPerOrder(0.5, 6)).toBe(400);
  });

  it('estimates the execution log from its events: two per state, three more per task', () => {
    // 14 × 2 × (300 + 600) + 6 × (900 + 1,200)
    expect(stepFunctionsLogBytes(14, 6, 600)).toBe(25_200 + 12_600);
  });
});
