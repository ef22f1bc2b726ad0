/**
 * A checker for CloudWatch embedded metric format documents, written from the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * it lists every rule a document breaks, so a test can assert on an empty list and show the rest.
 */
import { isRecord } from '../../functions/lib/is-record.js';

/** Units CloudWatch accepts (MetricDatum.Unit). */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The problems of `document` as an EMF document; empty when it is valid. */
export function emfProblems(document: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(document)) return ['the document is not a JSON object'];
  const aws = document._aws;
  if (!isRecord(aws)) return ['_aws is missing or not an object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) <= 0) {
    problems.push('_aws.Timestamp must be a positive integer (milliseconds since the epoch)');
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) {
    return [...problems, '_aws.CloudWatchMetrics must be a non-empty array'];
  }
  for (const [i, directive] of directives.entries()) {
    const at = `_aws.CloudWatchMetrics[${i}]`;
    if (!isRecord(directive)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    if (
      typeof directive.Namespace !== 'string' ||
      directive.Namespace.length === 0 ||
      directive.Namespace.length > 255
    ) {
      problems.push(`${at}.Namespace must be a string of 1-255 characters`);
    }
    if (!Array.isArray(directive.Dimensions)) {
      problems.push(`${at}.Dimensions must be an array of dimension sets`);
    } else {
      for (const [j, set] of directive.Dimensions.entries()) {
        if (!Array.isArray(set) || set.length > 30) {
          problems.push(`${at}.Dimensions[${j}] must be an array of at most 30 keys`);
          continue;
        }
        for (const key of set) {
          if (typeof key !== 'string') problems.push(`${at}.Dimensions[${j}] holds a non-string key`);
          else if (typeof document[key] !== 'string') {
            problems.push(`dimension ${key} must reference a root member whose value is a string`);
          }
        }
      }
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length > 100) {
      problems.push(`${at}.Metrics must be an array of at most 100 metric definitions`);
      continue;
    }
    for (const [j, metric] of directive.Metrics.entries()) {
      if (!isRecord(metric) || typeof metric.Name !== 'string' || metric.Name.length === 0) {
        problems.push(`${at}.Metrics[${j}] must have a non-empty Name`);
        continue;
      }
      if (metric.Unit !== undefined && !UNITS.has(String(metric.Unit))) {
        problems.push(`metric ${metric.Name} has an unknown Unit ${String(metric.Unit)}`);
      }
      const value = document[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      if (!values.every(isNumber))
        problems.push(`metric ${metric.Name} must reference a root member holding numbers`);
      if (values.length > 100) problems.push(`metric ${metric.Name} holds more than 100 values`);
    }
  }
  return problems;
}

/** The EMF documents among captured log lines, parsed. */
export function emfDocuments(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => isRecord(record._aws));
}

/** The ordinary log lines (not EMF documents), parsed. */
export function logRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => !('_aws' in record));
}
