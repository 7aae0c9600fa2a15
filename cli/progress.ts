/**
 * Progress for long work: a self-overwriting line on a terminal, nothing when stderr is piped
 * (so that scripts and CI logs stay clean).
 */
export class Progress {
  readonly #enabled: boolean;
  #lastDrawMs = 0;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#enabled = stream.isTTY === true;
  }

  update(done: number, total?: number): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDrawMs < 100 && (total === undefined || done < total)) return;
    this.#lastDrawMs = now;
    const share = total === undefined || total === 0 ? '' : ` (${Math.floor((done / total) * 100)}%)`;
    process.stderr.write(`\r${this.label}: ${done.toLocaleString('en-US')}${total === undefined ? '' : ` / ${total.toLocaleString('en-US')}`}${share}   `);
  }

  done(): void {
    if (this.#enabled) process.stderr.write('\n');
  }
}
