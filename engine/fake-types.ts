/**
 * What a provider fake is given and what it answers: the contract between the offline engine's
 * dispatcher (fakes.ts) and each provider's fakes (tls/). Its own file so that neither side
 * imports the other for it.
 */
export interface FakeArgs {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, any>;
  /** The provider reference (`<provider URN>::<id>`), when the resource names one. */
  provider?: string;
}
export interface FakeResult {
  id?: string;
  state: Record<string, any>;
}
