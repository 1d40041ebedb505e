/**
 * What a person watching `deftunes run` sees on stderr: each date and state as it runs (running,
 * succeeded, failed, duration) and, on a terminal, a live line with a progress bar of the date's Task
 * states and the elapsed time of the states still running (Glue jobs take a while locally).
 */
import type { ExecutionObserver, StateRecord } from './execute-definition';

export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Number of Task states one date runs through on the happy path; sizes the bar. */
  readonly taskCount: number;
  /** @default stream.isTTY */
  readonly live?: boolean;
}

const SYMBOL: Record<StateRecord['status'], string> = {
  running: '…',
  succeeded: '✓',
  failed: '✗',
  caught: '✗',
};

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export class ProgressReporter implements ExecutionObserver {
  private readonly stream: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly running = new Map<string, StateRecord>();
  private tasksDone = 0;
  private timer?: NodeJS.Timeout;
  private liveLineShown = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.live = options.live ?? Boolean(this.stream.isTTY);
  }

  dateStarted(runDate: string, index: number, total: number): void {
    this.tasksDone = 0;
    this.print(`\n▶ ${runDate} (date ${index + 1} of ${total})`);
    if (this.live) this.timer = setInterval(() => this.renderLiveLine(), 250);
  }

  dateFinished(runDate: string, status: string, ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearLiveLine();
    this.print(`${status === 'succeeded' ? '✓' : '✗'} ${runDate} ${status} in ${formatMs(ms)}`);
  }

  stateEntered(state: StateRecord): void {
    if (state.type !== 'Task') return;
    this.running.set(state.name, state);
    this.print(`  ${SYMBOL.running} ${state.name} running`);
  }

  stateRetried(state: StateRecord, attempt: string): void {
    this.print(`  ↻ ${state.name} retrying (${attempt})`);
  }

  stateExited(state: StateRecord): void {
    if (state.type === 'Choice' || state.type === 'Fail') {
      this.print(`  ${SYMBOL[state.status]} ${state.name} ${state.type === 'Fail' ? 'failed' : 'passed'}`);
      return;
    }
    if (state.type !== 'Task') return;
    this.running.delete(state.name);
    this.tasksDone += 1;
    this.print(`  ${SYMBOL[state.status]} ${state.name} ${state.status} in ${formatMs(state.ms ?? 0)}`);
  }

  /** A line for the run log's human mirror: notifications, warnings. */
  note(message: string): void {
    this.print(`  ${message}`);
  }

  private print(line: string): void {
    this.clearLiveLine();
    this.stream.write(`${line}\n`);
    this.renderLiveLine();
  }

  private renderLiveLine(): void {
    if (!this.live || !this.timer || this.running.size === 0) return;
    const now = Date.now();
    const running = [...this.running.values()]
      .map((state) => `${state.name} ${formatMs(now - state.startedAt)}`)
      .join(', ');
    const line = `  ${progressBar(this.tasksDone, this.options.taskCount)} ${running}`;
    const width = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
    this.liveLineShown = true;
  }

  private clearLiveLine(): void {
    if (!this.liveLineShown) return;
    this.stream.write('\r\x1b[2K');
    this.liveLineShown = false;
  }
}
