/**
 * Fault injection for the Tatum simulator, switchable at run time (`simulator.setFaults`).
 *
 * Each fault is a rule: it applies to a request whose `"METHOD /path"` matches `match` (a substring or a
 * RegExp; absent: every request), then
 * - with `times`: to the next `times` matching requests only;
 * - else with `probability` (0…1): to that share of matching requests (the simulator's `random`);
 * - else: to every matching request.
 *
 * Where each fault acts:
 * - `hang`: the request is never answered (the connection stays open until the client gives up or the
 *   simulator closes); nothing is executed.
 * - `tooManyRequests`: 429 with `Retry-After` (seconds or an HTTP-date; default "1"); nothing executed.
 * - `serverError`: `status` (default 503) with a Tatum-style error body, or `body`; nothing executed.
 * - `malformed`: the request IS executed, then answered 200 with a body that is not what the schema says.
 * - `broadcastRecordedThenError`: on the broadcast endpoints only, the broadcast IS recorded and the
 *   pending transaction completed, then answered `status` (default 502): the ambiguous failure the
 *   pipeline must turn into BROADCAST_UNKNOWN.
 */
export interface FaultRule {
  readonly match?: string | RegExp;
  readonly times?: number;
  readonly probability?: number;
}

export interface SimulatorFaults {
  readonly hang?: FaultRule;
  readonly tooManyRequests?: FaultRule & { readonly retryAfter?: string | null };
  readonly serverError?: FaultRule & { readonly status?: number; readonly body?: string };
  readonly malformed?: FaultRule & { readonly body?: string };
  readonly broadcastRecordedThenError?: FaultRule & { readonly status?: number };
}

export type FaultName = keyof SimulatorFaults;

const FAULT_NAMES: readonly FaultName[] = ['hang', 'tooManyRequests', 'serverError', 'malformed', 'broadcastRecordedThenError'];

/** The live fault rules with their remaining `times` counters. */
export class FaultPlan {
  #faults: SimulatorFaults = {};
  #remaining = new Map<FaultName, number>();
  readonly #random: () => number;

  constructor(random: () => number, faults: SimulatorFaults = {}) {
    this.#random = random;
    this.set(faults);
  }

  /** Replace every rule (an empty object clears all faults). */
  set(faults: SimulatorFaults): void {
    for (const name of Object.keys(faults)) {
      if (!FAULT_NAMES.includes(name as FaultName)) throw new TypeError(`unknown simulator fault ${JSON.stringify(name)}; expected one of ${FAULT_NAMES.join(', ')}`);
    }
    this.#faults = { ...faults };
    this.#remaining = new Map();
    for (const name of FAULT_NAMES) {
      const times = faults[name]?.times;
      if (times !== undefined) this.#remaining.set(name, times);
    }
  }

  get current(): SimulatorFaults {
    return this.#faults;
  }

  /** The rule of `name` if it fires for this request (consuming one of its `times`), else undefined. */
  fire<N extends FaultName>(name: N, request: string): SimulatorFaults[N] | undefined {
    const rule = this.#faults[name];
    if (!rule) return undefined;
    if (rule.match !== undefined && !(typeof rule.match === 'string' ? request.includes(rule.match) : rule.match.test(request))) return undefined;
    const remaining = this.#remaining.get(name);
    if (remaining !== undefined) {
      if (remaining <= 0) return undefined;
      this.#remaining.set(name, remaining - 1);
      return rule;
    }
    if (rule.probability !== undefined) return this.#random() < rule.probability ? rule : undefined;
    return rule;
  }
}
