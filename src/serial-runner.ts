/**
 * Runs one piece of work at a time on demand: a kick while it runs asks for one more run after it, never a
 * second run alongside. The work says whether more is waiting (catch-up in batches). Errors are reported and
 * end the round; the next kick (or poll) tries again.
 */
export class SerialRunner {
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly work: () => Promise<boolean>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Also kick every `ms`: the fallback for a nudge that never came. */
  every(ms: number): this {
    this.timer = setInterval(() => this.kick(), ms);
    return this;
  }

  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        if (await this.work()) this.again = true;
      } catch (err) {
        this.onError(err as Error);
        return;
      }
    } while (this.again && !this.closed);
  }

  /** Stops kicks and waits for a run in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
