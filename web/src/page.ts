/** What every page shares: its signature, and how it shows a failure. */
import { ApiError, SessionExpiredError } from './api.ts';
import { errorBox, replaceChildren } from './dom.ts';

/** What a page gives back: how to stop its timers when the user leaves it. */
export type Dispose = () => void;
export type Page = (container: HTMLElement, params: URLSearchParams, id?: string) => Dispose | undefined;

/** A failure shown in place; an ended session is already on its way to the login. */
export function showFailure(container: HTMLElement, error: unknown): void {
  if (error instanceof SessionExpiredError) return;
  replaceChildren(container, errorBox(messageOf(error)));
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

/** Runs `tick` now and every `seconds` while the tab is visible; the returned function stops it. */
export function every(seconds: number, tick: () => Promise<void> | void): Dispose {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (stopped) return;
    if (document.visibilityState === 'visible') await Promise.resolve(tick()).catch(() => undefined);
    if (!stopped) timer = setTimeout(run, seconds * 1000);
  };
  timer = setTimeout(run, seconds * 1000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
