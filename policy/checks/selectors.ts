/**
 * Kubernetes label-selector semantics, written out because the network-policy checks must resolve
 * selectors exactly as the API server does: an empty selector selects everything, and an unknown
 * operator never counts as matching nothing.
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** True for a selector with no requirement at all: it selects everything. */
export function isEmptySelector(sel: LabelSelector | undefined | null): boolean {
  if (!sel) return true;
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        // The API server refuses unknown operators; never treat one as matching nothing.
        return false;
    }
  }
  return true;
}

/** The finite set of values a selector allows for `key` (matchLabels, `In`), if it pins one. */
export function pinnedValues(sel: LabelSelector, key: string): Set<string> | undefined {
  let pinned: Set<string> | undefined;
  const narrow = (values: string[]) => {
    pinned = pinned ? new Set(values.filter((v) => pinned!.has(v))) : new Set(values);
  };
  const label = sel.matchLabels?.[key];
  if (label !== undefined) narrow([label]);
  for (const e of sel.matchExpressions ?? []) if (e.key === key && e.operator === "In") narrow(e.values ?? []);
  return pinned;
}
