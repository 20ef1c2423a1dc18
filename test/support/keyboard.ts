import type { Locator, Page } from "playwright-core";

/** One stop of the keyboard's focus: the control's accessible-ish name and whether focus shows. */
export interface FocusStop {
  /** Stable per element for the page's life (a WeakMap in the page), so stops can be compared. */
  key: number;
  tag: string;
  name: string;
  /** `:focus-visible` matches and draws an outline of at least 2 px (WCAG 2.4.7). */
  visible: boolean;
  /**
   * Focus is on a part the browser builds inside the control (a date input's calendar button):
   * the browser draws that ring itself and no page style reaches it, so `visible` cannot tell.
   */
  browserPart: boolean;
}

/**
 * Runs in the page: describes `el` (or the focused element) as a person using a screen reader
 * would know it — aria-label, else its label's own text, else its text.
 */
const inPage = (which: string) => {
  const w = window as unknown as { __kbKeys?: WeakMap<Element, number>; __kbNext?: number };
  w.__kbKeys ??= new WeakMap();
  const keyOf = (el: Element) => {
    let k = w.__kbKeys!.get(el);
    if (k === undefined) w.__kbKeys!.set(el, (k = (w.__kbNext = (w.__kbNext ?? 0) + 1)));
    return k;
  };
  const clean = (s: string | null | undefined) => (s ?? "").replace(/\s+/g, " ").trim();
  const nameOf = (el: HTMLElement) => {
    const aria = el.getAttribute("aria-label");
    if (aria) return aria;
    const label = (el as HTMLInputElement).labels?.[0];
    // A label wrapping its control also holds the control's text (a select's options): leave it out.
    if (label) return clean([...label.childNodes].filter((c) => !c.contains(el)).map((c) => c.textContent).join(" "));
    return clean(el.textContent);
  };
  const stop = (el: HTMLElement) => {
    const style = getComputedStyle(el);
    return {
      key: keyOf(el),
      tag: el.tagName.toLowerCase(),
      name: nameOf(el),
      visible: el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
      browserPart: el === document.activeElement && !el.matches(":focus"),
    };
  };
  if (which === "focused") {
    const el = document.activeElement as HTMLElement | null;
    return el && el !== document.body && el !== document.documentElement ? [stop(el)] : [];
  }
  // Every control a person could operate: native controls (even those a tabindex="-1" took out of
  // the tab order: that is the defect to find), widgets with a role, and anything given a tab stop.
  const native = "a[href], button, input, select, textarea, [role=button], [role=link], [role=checkbox], [role=tab], [role=menuitem]";
  const controls = [...document.querySelectorAll<HTMLElement>(`${native}, [tabindex]`)].filter(
    (el) =>
      (el.matches(native) || el.tabIndex >= 0) &&
      !(el as HTMLButtonElement).disabled &&
      (el as HTMLInputElement).type !== "hidden" &&
      el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== "hidden",
  );
  return controls.map((el) => ({ key: keyOf(el), tag: el.tagName.toLowerCase(), name: nameOf(el), visible: false, browserPart: false }));
};

export async function focused(page: Page): Promise<FocusStop | null> {
  return (await page.evaluate(inPage, "focused"))[0] ?? null;
}

/**
 * Presses Tab (Shift+Tab with `back`) until `target` has focus and returns the controls passed on
 * the way (the target last); throws if it is not reached within `max` presses, or if any stop hides its focus.
 */
export async function tabTo(page: Page, target: Locator, opts: { back?: boolean; max?: number } = {}): Promise<FocusStop[]> {
  const passed: FocusStop[] = [];
  for (let i = 0; i < (opts.max ?? 40); i++) {
    await page.keyboard.press(opts.back ? "Shift+Tab" : "Tab");
    const now = await focused(page);
    if (now) {
      if (!now.visible && !now.browserPart) throw new Error(`focus is not visible on ${now.tag} "${now.name}"`);
      // A date-time input takes one Tab per field; it is one control.
      if (now.key !== passed.at(-1)?.key) passed.push(now);
    }
    if (await target.evaluate((el) => el === document.activeElement)) return passed;
  }
  throw new Error(`not reached with ${opts.back ? "Shift+Tab" : "Tab"}: ${target}; passed ${passed.map((s) => s.name).join(" → ")}`);
}

/**
 * The page's whole tab order, from the top of the document until focus leaves it, with every
 * control a person could operate that the keyboard never reached (should be none). Chromium resumes
 * Tab from the last focused element even after a blur, so this first tabs out of the document.
 */
export async function tabOrder(page: Page, max = 120): Promise<{ stops: FocusStop[]; unreachable: FocusStop[] }> {
  const stops: FocusStop[] = [];
  let outside = false;
  for (let i = 0, left = false; i < max && !left; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    if (!outside) {
      outside = now === null;
      continue;
    }
    if (now === null) left = true;
    // A date-time input takes one Tab per field; it is one control.
    else if (now.key !== stops.at(-1)?.key) stops.push(now);
  }
  const reached = new Set(stops.map((s) => s.key));
  const unreachable = (await page.evaluate(inPage, "all")).filter((c) => !reached.has(c.key));
  return { stops, unreachable };
}
