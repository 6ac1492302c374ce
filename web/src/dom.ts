/**
 * A few DOM helpers in place of a framework: the pages are tables, forms and charts that are
 * rebuilt from the API's answers, and a framework would double the bundle for no gain here.
 */
type Child = Node | string | number | false | null | undefined;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

/** `h('button', { onclick: go, class: 'primary' }, 'Go')`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren(
    ...children
      .flat()
      .flatMap((c) =>
        c === undefined || c === null || c === false ? [] : [c instanceof Node ? c : String(c)],
      ),
  );
}

/** A stored time as the user reads it: local date and time to the second. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A CSS class per DIRAC status, so every page colours statuses alike. */
export const statusClass = (status: unknown): string =>
  `status status-${String(status ?? '')
    .toLowerCase()
    .replace(/[^a-z]/g, '')}`;

export const statusBadge = (status: unknown) =>
  h('span', { class: statusClass(status) }, String(status ?? ''));

/** A key/value table (a job's attributes, a pilot's record). */
export function definitionTable(rows: readonly [string, Child][]): HTMLTableElement {
  return h(
    'table',
    { class: 'definitions' },
    h(
      'tbody',
      {},
      ...rows.map(([key, value]) => h('tr', {}, h('th', { scope: 'row' }, key), h('td', {}, value))),
    ),
  );
}

export function errorBox(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}
