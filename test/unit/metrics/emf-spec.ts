/**
 * A validator of the CloudWatch embedded metric format, written from the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * plus Sigil's own rule that a document names catalogue metrics only. Returns the list of violations
 * (empty = valid), so a failing property test shows every broken rule at once.
 *
 * Spec rules checked:
 * - the log event is one JSON object with a root member `_aws` (the metadata object), within the
 *   CloudWatch Logs event size limit (checked here at 256 KiB, the older and stricter limit);
 * - `_aws` holds `Timestamp` (ms since the epoch, a non-negative integer) and `CloudWatchMetrics`
 *   (an array of MetricDirective); defined objects hold no other members;
 * - MetricDirective: `Namespace` (a non-empty string of at most 1,024 characters), `Dimensions` (an array
 *   of DimensionSet), `Metrics` (an array of at most 100 MetricDefinition);
 * - DimensionSet: an array of at most 30 distinct strings, each naming a root member whose value is a
 *   non-empty string of at most 1,024 characters;
 * - MetricDefinition: `Name` (naming a root member whose value is a number or an array of 1–100 numbers),
 *   optional `Unit` (a CloudWatch unit), optional `StorageResolution` (1 or 60);
 * - a root member is not both a dimension and a metric.
 */
import { METRIC_CATALOGUE, METRIC_NAMESPACE, type MetricName } from '../../../lib/metrics/metrics.js';
import { emfDimensionNames } from '../../../lib/metrics/emf.js';

const UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits',
  'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second',
  'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second',
  'Terabits/Second', 'Count/Second', 'None',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function extraMembers(object: Record<string, unknown>, allowed: readonly string[], where: string, errors: string[]): void {
  for (const key of Object.keys(object)) if (!allowed.includes(key)) errors.push(`${where} has an unknown member ${key}`);
}

/** Violations of the EMF specification in one log line. */
export function emfViolations(line: string): string[] {
  const errors: string[] = [];
  if (Buffer.byteLength(line, 'utf8') > 256 * 1024) errors.push('document larger than 256 KiB');
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return ['not a JSON text'];
  }
  if (!isObject(root)) return ['root is not an object'];
  const aws = root._aws;
  if (!isObject(aws)) return ['root has no _aws metadata object'];
  extraMembers(aws, ['Timestamp', 'CloudWatchMetrics'], '_aws', errors);
  if (!isNumber(aws.Timestamp) || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 0) errors.push('_aws.Timestamp must be ms since the epoch');
  if (!Array.isArray(aws.CloudWatchMetrics)) return [...errors, '_aws.CloudWatchMetrics must be an array'];
  const dimensionMembers = new Set<string>();
  const metricMembers = new Set<string>();
  aws.CloudWatchMetrics.forEach((directive, d) => {
    const where = `CloudWatchMetrics[${d}]`;
    if (!isObject(directive)) return void errors.push(`${where} is not an object`);
    extraMembers(directive, ['Namespace', 'Dimensions', 'Metrics'], where, errors);
    const ns = directive.Namespace;
    if (typeof ns !== 'string' || ns.length < 1 || ns.length > 1024) errors.push(`${where}.Namespace must be a string of 1–1024 characters`);
    if (!Array.isArray(directive.Dimensions)) errors.push(`${where}.Dimensions must be an array`);
    else {
      directive.Dimensions.forEach((set, s) => {
        if (!Array.isArray(set)) return void errors.push(`${where}.Dimensions[${s}] is not an array`);
        if (set.length > 30) errors.push(`${where}.Dimensions[${s}] has more than 30 dimensions`);
        if (new Set(set).size !== set.length) errors.push(`${where}.Dimensions[${s}] repeats a dimension`);
        for (const name of set) {
          if (typeof name !== 'string') {
            errors.push(`${where}.Dimensions[${s}] holds a non-string`);
            continue;
          }
          dimensionMembers.add(name);
          const value = root[name];
          if (typeof value !== 'string' || value.length < 1 || value.length > 1024) errors.push(`dimension ${name} must be a root string of 1–1024 characters`);
        }
      });
    }
    if (!Array.isArray(directive.Metrics)) return void errors.push(`${where}.Metrics must be an array`);
    if (directive.Metrics.length > 100) errors.push(`${where}.Metrics has more than 100 MetricDefinitions`);
    directive.Metrics.forEach((definition, m) => {
      const at = `${where}.Metrics[${m}]`;
      if (!isObject(definition)) return void errors.push(`${at} is not an object`);
      extraMembers(definition, ['Name', 'Unit', 'StorageResolution'], at, errors);
      if (typeof definition.Name !== 'string' || definition.Name.length === 0) return void errors.push(`${at}.Name must be a non-empty string`);
      metricMembers.add(definition.Name);
      if (definition.Unit !== undefined && !UNITS.has(definition.Unit as string)) errors.push(`${at}.Unit ${String(definition.Unit)} is not a CloudWatch unit`);
      if (definition.StorageResolution !== undefined && definition.StorageResolution !== 1 && definition.StorageResolution !== 60) {
        errors.push(`${at}.StorageResolution must be 1 or 60`);
      }
      const value = root[definition.Name];
      const values = Array.isArray(value) ? value : [value];
      if (values.length < 1 || values.length > 100 || !values.every(isNumber)) errors.push(`metric ${definition.Name} must be a number or an array of 1–100 numbers`);
    });
  });
  for (const name of dimensionMembers) if (metricMembers.has(name)) errors.push(`member ${name} is both a dimension and a metric`);
  return errors;
}

/** Sigil's rules on top of the spec: namespace Sigil, catalogue metrics with their unit and deployed dimensions, nothing else at the root. */
export function sigilViolations(line: string): string[] {
  const errors = emfViolations(line);
  if (errors.length > 0) return errors;
  const root = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }> } };
  const known = new Set<string>(['_aws']);
  for (const directive of root._aws.CloudWatchMetrics) {
    if (directive.Namespace !== METRIC_NAMESPACE) errors.push(`namespace ${directive.Namespace} is not ${METRIC_NAMESPACE}`);
    for (const set of directive.Dimensions) set.forEach((name) => known.add(name));
    for (const { Name, Unit } of directive.Metrics) {
      known.add(Name);
      if (!Object.hasOwn(METRIC_CATALOGUE, Name)) {
        errors.push(`metric ${Name} is not in the catalogue`);
        continue;
      }
      const name = Name as MetricName;
      if (Unit !== METRIC_CATALOGUE[name].unit) errors.push(`metric ${Name} has unit ${String(Unit)}, the catalogue says ${METRIC_CATALOGUE[name].unit}`);
      const wanted = JSON.stringify(emfDimensionNames(name));
      if (directive.Dimensions.length !== 1 || JSON.stringify(directive.Dimensions[0]) !== wanted) {
        errors.push(`metric ${Name} has dimensions ${JSON.stringify(directive.Dimensions)}, expected [${wanted}]`);
      }
    }
  }
  for (const key of Object.keys(root)) if (!known.has(key)) errors.push(`root member ${key} is neither a dimension nor a catalogue metric`);
  return errors;
}
