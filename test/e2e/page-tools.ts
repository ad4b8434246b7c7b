/**
 * What the browser tests do to a page beyond clicking: accessibility audits with axe-core,
 * screenshots in both colour schemes, a check that nothing covers a control, and timings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from '../helpers/processes.js';

export const artifacts = join(repoRoot, 'test-artifacts');
export const WIDE = { width: 1366, height: 820 };
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 800 };

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/**
 * Screenshots are for a person looking over the UI, and no test reads them: they are taken only
 * with SCREENSHOTS=1 in the environment (each costs Chromium a render and a PNG, about 0.1 s of
 * CPU; a run takes about 140).
 */
export const takingScreenshots = process.env.SCREENSHOTS === '1';

/** Saves the page as it is to `path`, when screenshots are taken. */
export async function picture(page: Page, path: string): Promise<void> {
  if (takingScreenshots) await page.screenshot({ path });
}

/**
 * Saves the page in the light and the dark scheme (the theme setting left at "system"), to
 * test-artifacts/, when screenshots are taken.
 */
export async function shoot(page: Page, name: string): Promise<void> {
  if (!takingScreenshots) return;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({
      path: join(artifacts, `${name}-${scheme}.png`),
      animations: 'disabled',
    });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * axe-core's rules that look at colours. The dark scheme changes only colours (app.css sets
 * other values of the same custom properties; no markup or script depends on it), so the dark
 * pass runs these, and every rule runs in the light pass: 244 audits of the browser suite cost
 * 39 s with two full passes.
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * axe-core's violations on the page as it is, in the light and the dark scheme, as readable
 * lines (rule, impact, the first elements); [] when there are none.
 */
export async function axeViolations(page: Page, screen: string): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    const only = scheme === 'dark' ? `runOnly: ${JSON.stringify(COLOUR_RULES)}, ` : '';
    const results = await page.evaluate<AxeResults>(
      `window.axe.run(document, { ${only}resultTypes: ["violations"] })`,
    );
    for (const violation of results.violations) {
      const where = violation.nodes
        .slice(0, 3)
        .map((node) =>
          `${node.target.join(' ')}: ${node.failureSummary ?? ''}`.replace(/\s+/g, ' '),
        )
        .join(' | ');
      found.push(`${screen} (${scheme}): ${violation.id} [${violation.impact ?? ''}] ${where}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  return found;
}

/**
 * Controls in view whose middle another element lies over (a click there would not reach
 * them). Controls scrolled out of their pane, or hidden, are not counted.
 */
export function coveredControls(page: Page): Promise<string[]> {
  // A string, evaluated in the page: this file is checked without the DOM's types.
  return page.evaluate<string[]>(`(() => {
    const describe = (element) =>
      element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
      (element.classList.length > 0 ? '.' + [...element.classList].join('.') : '') +
      ' “' + (element.textContent ?? '').trim().slice(0, 30) + '”';
    const controls = document.querySelectorAll(
      'button, input, select, textarea, a[href], summary, [role="option"], [tabindex="0"]',
    );
    const covered = [];
    for (const control of controls) {
      if (!control.checkVisibility({ visibilityProperty: true })) continue;
      const box = control.getBoundingClientRect();
      if (box.width <= 2 || box.height <= 2) continue;
      const x = box.left + box.width / 2;
      const y = box.top + box.height / 2;
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      let clipped = false;
      for (let parent = control.parentElement; parent && !clipped; parent = parent.parentElement) {
        const style = getComputedStyle(parent);
        if (!/auto|scroll|hidden|clip/.test(style.overflowX + ' ' + style.overflowY)) continue;
        const clip = parent.getBoundingClientRect();
        clipped = x < clip.left || x > clip.right || y < clip.top || y > clip.bottom;
      }
      if (clipped) continue;
      const hit = document.elementFromPoint(x, y);
      if (!hit || control.contains(hit) || hit.contains(control)) continue;
      const label = hit.closest('label');
      if (label && (label.contains(control) || (control.id !== '' && label.htmlFor === control.id))) continue;
      covered.push(describe(control) + ' under ' + describe(hit));
    }
    return covered;
  })()`);
}

/** Starts recording long tasks (over 50 ms) of the page's main thread. */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__longTasks = [];
    window.__longTaskObserver?.disconnect();
    window.__longTaskObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    });
    window.__longTaskObserver.observe({ type: 'longtask' });
  })()`);
}

/** The longest task since recordLongTasks (0 when none passed 50 ms), after the next frames. */
export async function longestTask(page: Page): Promise<number> {
  // Entries are delivered after the task ends: two frames later they are all in.
  await page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
  const tasks = await page.evaluate<number[]>('window.__longTasks');
  return Math.round(Math.max(0, ...tasks));
}

/** A round trip through the page's event loop and one frame. */
export async function frameMs(page: Page): Promise<number> {
  const started = Date.now();
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
  return Date.now() - started;
}

const figures: Record<string, number | string> = {};

/** Records a measured figure, prints it and writes all of them to test-artifacts/web-timings.json. */
export function record(name: string, value: number | string): void {
  figures[name] = value;
  console.info(`web UI timing: ${name}: ${value}`);
  writeFileSync(join(artifacts, 'web-timings.json'), `${JSON.stringify(figures, null, 2)}\n`);
}

/**
 * An element's text as the page shows it: runs of white space (a template's line breaks and
 * indents) as one space, as the browser lays them out and a screen reader reads them.
 */
export async function shownText(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');
}
