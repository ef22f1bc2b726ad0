/** At most `limit` requests within any `windowMs` interval: DigiCert's per-key limits (docs/contract.md §7). */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}
