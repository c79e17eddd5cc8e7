/** Whole HTML pages for a run and a sweep: the report files, and the dashboard's pages too. */
import { page, type RawHtml } from "./html.ts";
import { renderRunBody, runPageData } from "./render-run.ts";
import { renderSweepBody, sweepPageData } from "./render-sweep.ts";
import type { RunData } from "./run-data.ts";
import type { SweepData, SweepTrial } from "./sweep-data.ts";

export interface PageExtras {
  /** The dashboard's navigation bar. */
  readonly nav?: RawHtml;
}

/** A run's page; with `live`, the page follows the run through the server-sent events at that URL. */
export function runPage(
  run: RunData,
  extras: PageExtras & { live?: { events: string } } = {},
): string {
  return page({
    title: `${run.title} · tipi`,
    body: renderRunBody(run),
    data: runPageData(run, extras.live),
    ...(extras.live ? { live: true } : {}),
    ...(extras.nav ? { nav: extras.nav } : {}),
  });
}

/** A sweep's page; `trialLink` links each trial (the dashboard does, a report file does not). */
export function sweepPage(
  sweep: SweepData,
  extras: PageExtras & {
    trialLink?: (trial: SweepTrial) => string | undefined;
    /** The dashboard's event stream that says when the sweep changed (the page reloads). */
    watch?: string;
  } = {},
): string {
  return page({
    title: `${sweep.title} · tipi`,
    body: renderSweepBody(sweep, extras.trialLink),
    data: { ...sweepPageData(sweep), ...(extras.watch ? { watch: extras.watch } : {}) },
    ...(extras.nav ? { nav: extras.nav, live: true } : {}),
  });
}
