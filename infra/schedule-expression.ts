/**
 * Synth-time checks of EventBridge Scheduler expressions. CloudFormation would reject a bad
 * expression only half-way through a deployment; checking here fails `cdk synth` instead.
 * The grammar is the one documented for EventBridge Scheduler: `rate(value unit)`,
 * six-field `cron(...)` and one-time `at(yyyy-mm-ddThh:mm:ss)`.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Extra tokens the field accepts besides numbers, ranges, lists and increments. */
  readonly names?: string;
  readonly pattern?: RegExp;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, pattern: /^(\?|L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAYS,
    pattern: new RegExp(`^(\\?|L|[1-7]L|([1-7]|${DAYS})#[1-5])$`),
  },
  { name: 'year', min: 1970, max: 2199 },
];

/** Checks one comma-separated cron field: `*`, `n`, `a-b`, `base/step`, names, plus the field's specials. */
function checkCronField(field: CronField, raw: string): string | undefined {
  if (field.pattern?.test(raw)) return undefined;
  const names = field.names ? field.names.split('|') : [];
  const inRange = (token: string): boolean => {
    if (names.includes(token)) return true;
    if (!/^\d{1,4}$/.test(token)) return false;
    const n = Number(token);
    return n >= field.min && n <= field.max;
  };
  for (const part of raw.split(',')) {
    const [base = '', step, ...rest] = part.split('/');
    if (rest.length > 0 || (step !== undefined && !/^[1-9]\d{0,3}$/.test(step))) {
      return `its ${field.name} field "${raw}" has an invalid increment`;
    }
    if (base === '*') continue;
    const bounds = base.split('-');
    if (bounds.length > 2 || !bounds.every(inRange)) {
      return `its ${field.name} field "${raw}" is not valid (allowed: ${field.min}-${field.max}${
        names.length > 0 ? ` or ${names.join(', ')}` : ''
      }, with , - * /)`;
    }
  }
  return undefined;
}

/**
 * Returns `undefined` when `expression` is a valid EventBridge Scheduler schedule expression,
 * otherwise the reason it is not, phrased to follow "the expression ...".
 */
export function checkScheduleExpression(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) return 'has a rate below 1';
    if (value === 1 && unit.endsWith('s'))
      return `must use the singular unit for 1: "rate(1 ${unit.slice(0, -1)})"`;
    if (value > 1 && !unit.endsWith('s'))
      return `must use the plural unit above 1: "rate(${value} ${unit}s)"`;
    return undefined;
  }
  const cron = CRON.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) {
      return `must have 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}`;
    }
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      return 'must have "?" in exactly one of day-of-month and day-of-week';
    }
    for (const [index, field] of CRON_FIELDS.entries()) {
      const problem = checkCronField(field, (fields[index] ?? '').toUpperCase());
      if (problem) return problem;
    }
    return undefined;
  }
  const at = AT.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number);
    const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second));
    const valid =
      date.getUTCFullYear() === year &&
      date.getUTCMonth() + 1 === month &&
      date.getUTCDate() === day &&
      date.getUTCHours() === hour &&
      date.getUTCMinutes() === minute &&
      date.getUTCSeconds() === second;
    return valid ? undefined : 'is not a real date and time';
  }
  return 'must be "rate(value unit)", "cron(minutes hours day-of-month month day-of-week year)" or "at(yyyy-mm-ddThh:mm:ss)"';
}

/** Returns `true` when `name` is an IANA time zone this Node.js knows (as EventBridge Scheduler does). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name.length > 0;
  } catch {
    return false;
  }
}
