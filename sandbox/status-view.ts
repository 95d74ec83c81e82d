/**
 * What the user watches while the sandbox runs, on stderr (stdout carries only the summary JSON):
 *
 * - on a terminal, a live board redrawn in place: one line per payment with its progress
 *   pending › claimed › signed › broadcast › confirmed, its hash and block, the accounts' balances, and
 *   the last few events;
 * - in a pipe (CI, `2> log`), plain lines instead: one per stage a payment reaches, and every event.
 *
 * Lines are cut to the terminal's width before they are styled, so the cursor arithmetic of the redraw
 * stays exact (a wrapped line would leave a copy of the board behind on every frame).
 */
import { formatBtc, formatEth, type DemoPayment } from './payments.js';
import { STAGES, type TxStatus } from './tx-status.js';

export interface ViewOutput {
  write(text: string): void;
  /** A terminal: redraw in place and use colours. */
  readonly tty: boolean;
  /** The terminal's width (default 100). */
  readonly columns?: number;
}

export interface BalanceLine {
  readonly chain: 'ETH' | 'BTC';
  readonly role: string;
  readonly address: string;
  readonly balance: bigint;
}

type Style = 'plain' | 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';
type Segment = readonly [text: string, style: Style];

const CODES: Record<Style, string> = { plain: '', bold: '\x1b[1m', dim: '\x1b[2m', green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', cyan: '\x1b[36m' };
const RESET = '\x1b[0m';
const EVENTS_SHOWN = 4;
const PAYMENTS_SHOWN = 12;

export function short(hash: string, keep = 6): string {
  return hash.length <= 2 * keep + 3 ? hash : `${hash.slice(0, keep + (hash.startsWith('0x') ? 2 : 0))}…${hash.slice(-keep)}`;
}

export function formatAmount(chain: 'ETH' | 'BTC', amount: bigint): string {
  return chain === 'ETH' ? formatEth(amount) : formatBtc(amount);
}

/** Segments cut to `width` visible characters, then styled (or not). */
function renderLine(segments: readonly Segment[], width: number, colour: boolean): string {
  let left = width;
  let out = '';
  for (const [text, style] of segments) {
    if (left <= 0) break;
    const piece = text.length > left ? `${text.slice(0, Math.max(0, left - 1))}…` : text;
    left -= piece.length;
    out += colour && style !== 'plain' ? `${CODES[style]}${piece}${RESET}` : piece;
  }
  return out;
}

function progress(status: TxStatus): Segment[] {
  const reached = STAGES.indexOf(status.stage);
  const segments: Segment[] = [];
  STAGES.forEach((stage, i) => {
    if (i > 0) segments.push([' › ', 'dim']);
    const style: Style = i < reached || status.stage === 'confirmed' ? 'green' : i === reached ? (status.failed ? 'red' : status.note ? 'yellow' : 'bold') : 'dim';
    segments.push([stage, style]);
  });
  return segments;
}

function paymentLine(payment: DemoPayment, status: TxStatus): Segment[] {
  return [
    ['  ', 'plain'],
    [payment.label.padEnd(14), 'bold'],
    [formatAmount(payment.chain, payment.amount).padStart(16), 'plain'],
    ['  ', 'plain'],
    ...progress(status),
    ['  ', 'plain'],
    [status.hash ? short(status.hash) : `pending ${short(payment.pendingId, 4)}`, 'cyan'],
    [status.block !== undefined ? ` block ${status.block}` : '', 'dim'],
    [status.note ? `  ${status.note}` : '', status.failed ? 'red' : 'yellow'],
  ];
}

/** One plain log line for a payment that reached a new stage (pipe mode). */
export function transitionLine(payment: DemoPayment, status: TxStatus): string {
  const what = `${payment.label} ${formatAmount(payment.chain, payment.amount)} (pending ${payment.pendingId})`;
  const detail =
    status.stage === 'confirmed' ? `confirmed in block ${status.block} ${status.hash}` : status.hash && status.stage !== 'claimed' ? `${status.stage} ${status.hash}` : status.stage;
  return `${what}: ${detail}${status.note ? ` — ${status.note}` : ''}`;
}

export class StatusView {
  readonly #out: ViewOutput;
  #header = 'sigil sandbox';
  readonly #rows = new Map<string, { payment: DemoPayment; status: TxStatus; shown: string }>();
  readonly #events: string[] = [];
  #balances: readonly BalanceLine[] = [];
  #drawnLines = 0;
  #passes = 0;
  #started = false;
  #finished = false;

  constructor(out: ViewOutput) {
    this.#out = out;
  }

  setHeader(header: string): void {
    this.#header = header;
  }

  /** A message above the board (tty) or a log line (pipe). */
  log(line: string): void {
    if (this.#out.tty) this.#pushEvent(line);
    else this.#out.write(`sandbox: ${line}\n`);
  }

  /** An event line (from the event sink). Heartbeats are left out: the header counts passes instead. */
  event(line: string): void {
    if (/^\[sigil\] \S+ Poller Heartbeat/.test(line)) {
      this.#passes++;
      return;
    }
    if (this.#out.tty) this.#pushEvent(line.replace(/^\[sigil\] \S+ /, '').trimEnd());
    else this.#out.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  #pushEvent(line: string): void {
    this.#events.push(line);
    if (this.#events.length > EVENTS_SHOWN) this.#events.shift();
  }

  /** Record a payment's status; in a pipe, log it if its stage or note changed. */
  update(payment: DemoPayment, status: TxStatus): void {
    const shown = `${status.stage}|${status.note ?? ''}`;
    const previous = this.#rows.get(payment.pendingId);
    this.#rows.set(payment.pendingId, { payment, status, shown });
    if (!this.#out.tty && previous?.shown !== shown) this.#out.write(`sandbox: ${transitionLine(payment, status)}\n`);
  }

  balances(lines: readonly BalanceLine[]): void {
    this.#balances = lines;
  }

  /** Redraw the board (tty only). */
  draw(): void {
    if (!this.#out.tty || this.#finished) return;
    const width = Math.max(40, (this.#out.columns ?? 100) - 1);
    const rows = [...this.#rows.values()].slice(-PAYMENTS_SHOWN);
    const lines: Segment[][] = [
      [[this.#header, 'bold'], [` · ${this.#passes} passes`, 'dim']],
      ...rows.map((r) => paymentLine(r.payment, r.status)),
      ...(rows.length === 0 ? [[['  (no payments yet)', 'dim']] as Segment[]] : []),
      ...this.#balances.map((b): Segment[] => [
        ['  ', 'plain'],
        [`${b.chain} ${b.role}`.padEnd(14), 'dim'],
        [b.address.padEnd(44), 'plain'],
        [formatAmount(b.chain, b.balance).padStart(26), 'bold'],
      ]),
      ...this.#events.map((e): Segment[] => [['  ', 'plain'], [e, 'dim']]),
    ];
    let frame = this.#started ? `\x1b[${this.#drawnLines}F\x1b[J` : '\x1b[?25l';
    for (const line of lines) frame += `${renderLine(line, width, true)}\n`;
    this.#started = true;
    this.#drawnLines = lines.length;
    this.#out.write(frame);
  }

  /** Last frame, cursor back on (tty). */
  finish(): void {
    if (!this.#out.tty || this.#finished) return;
    this.draw();
    this.#finished = true;
    if (this.#started) this.#out.write('\x1b[?25h');
  }
}
