/**
 * The backend select from the training process's `backends` message (DOM-free): a backend that
 * cannot start here is offered disabled, with its reason as the tooltip, and a selection of it
 * falls back to auto.
 */
import type { BackendChoice } from '../protocol/messages';

export interface BackendOption {
  value: string;
  disabled: boolean;
  /** The tooltip: why it is disabled, or a note ('' for none). */
  title: string;
}

export const FALLBACK_BACKEND = 'auto';

/** The options for `offered` (the select's values, in order) and what stays selected. */
export function backendOptions(
  offered: readonly string[],
  found: readonly BackendChoice[],
  selected: string,
): { options: BackendOption[]; selected: string } {
  const options = offered.map((value) => {
    const b = found.find((x) => x.name === value);
    if (!b) return { value, disabled: false, title: '' };
    return { value, disabled: !b.available, title: b.available ? b.why : `not available here: ${b.why}` };
  });
  const pick = options.find((o) => o.value === selected);
  return { options, selected: pick && !pick.disabled ? selected : FALLBACK_BACKEND };
}
