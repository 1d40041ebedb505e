/// <reference lib="dom" />
/**
 * How the panels of the page (bundled with client.ts) write amounts and countries: client.ts builds one
 * from the data's currency and passes it to each panel that shows them.
 */
import { numeric, type Cell } from './client-dom';

export interface PanelFormat {
  /** Cents as an amount in the data's currency. */
  readonly money: (cents: number) => string;
  /** A country code as shown (the unknown country named). */
  readonly countryLabel: (code: string) => string;
}

/** A table cell holding an amount. */
export function moneyCell({ money }: PanelFormat, cents: number): Cell {
  return numeric(money(cents));
}

/** An axis tick (a value in currency units) as an amount, whole amounts without cents. */
export function moneyTick({ money }: PanelFormat): (value: string | number) => string {
  return (value) => money(Math.round(Number(value) * 100)).replace(/\.00$/, '');
}
