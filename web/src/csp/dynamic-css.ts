/**
 * The console's stand-in for @rc-component/util's Dom/dynamicCSS (swapped in by the build, see
 * web/vite.config.ts). Ant Design and its helpers write run-time CSS — design-token variables,
 * the scroll lock of a modal, a scrollbar measurement — through this module, which would add
 * <style> elements to the page: the server's `style-src 'self'` refuses those. Here the same
 * CSS goes into constructed style sheets adopted by the document (or the shadow root of the
 * container asked for), which a page's own scripts may make under that policy. The functions
 * keep the module's signatures: each returns a detached <style> element as the handle that the
 * callers mark with attributes; it is never put into the page.
 */

type Container = Element | ShadowRoot;

interface Options {
  attachTo?: Container;
  csp?: { nonce?: string };
  prepend?: boolean | 'queue';
  priority?: number;
  mark?: string;
  styles?: HTMLElement[];
}

interface Entry {
  sheet: CSSStyleSheet;
  root: Document | ShadowRoot;
  node: HTMLStyleElement;
}

const byNode = new WeakMap<HTMLStyleElement, Entry>();
const byKey = new Map<string, Entry>();

function rootOf(option: Options): Document | ShadowRoot {
  const at = option.attachTo;
  if (at) {
    const r = at.getRootNode();
    if (typeof ShadowRoot !== 'undefined' && r instanceof ShadowRoot) return r;
  }
  return document;
}

const keyOf = (key: string, option: Options): string => `${option.mark ?? 'rc-util-key'}\u0000${key}`;

export function injectCSS(css: string, option: Options = {}): HTMLStyleElement | null {
  if (typeof document === 'undefined') return null;
  const root = rootOf(option);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  const node = document.createElement('style');
  const entry = { sheet, root, node };
  byNode.set(node, entry);
  // prepended CSS (design tokens) goes first so the console's own sheets can still override it
  root.adoptedStyleSheets = option.prepend ? [sheet, ...root.adoptedStyleSheets] : [...root.adoptedStyleSheets, sheet];
  return node;
}

export function removeCSS(key: string, option: Options = {}): void {
  const k = keyOf(key, option);
  const e = byKey.get(k);
  if (!e) return;
  byKey.delete(k);
  e.root.adoptedStyleSheets = e.root.adoptedStyleSheets.filter((s) => s !== e.sheet);
}

export function clearContainerCache(): void {
  /* no containers are cached here */
}

export function updateCSS(css: string, key: string, option: Options = {}): HTMLStyleElement | null {
  const k = keyOf(key, option);
  const e = byKey.get(k);
  if (e) {
    e.sheet.replaceSync(css);
    return e.node;
  }
  const node = injectCSS(css, option);
  if (!node) return null;
  byKey.set(k, byNode.get(node)!);
  node.setAttribute(option.mark ? (option.mark.startsWith('data-') ? option.mark : `data-${option.mark}`) : 'rc-util-key', key);
  return node;
}
