/** Small DOM helpers. */

/** The element with this data-testid under root; throws when the page lacks it. */
export function byTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T & Element>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`page has no element with data-testid="${id}"`);
  return el as T;
}

/** Enables or disables a select's options and sets their tooltips (options not named are left alone). */
export function setOptionStates(select: HTMLSelectElement, states: readonly { value: string; disabled: boolean; title: string }[]): void {
  for (const o of Array.from(select.options)) {
    const s = states.find((x) => x.value === o.value);
    if (!s) continue;
    o.disabled = s.disabled;
    o.title = s.title;
  }
}

/** Replaces a select's options (shown as `labels` says, else as their values), keeping the selected value when it is still offered. */
export function setOptions(select: HTMLSelectElement, values: readonly string[], labels: Record<string, string> = {}): void {
  const keep = select.value;
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = labels[v] ?? v;
      return o;
    }),
  );
  if (values.includes(keep)) select.value = keep;
}
