/**
 * xterm.js sizes and colours its rows with `<style>` elements it creates at run time; the
 * console's Content Security Policy (style-src 'self', no inline style) blocks those, and
 * says so in the browser's console each time. Once installed, a `<style>` element created by
 * script is a `<jumpgate-style>` element instead: inert in the DOM, its text applied as a
 * constructed style sheet (CSSOM, which the policy allows) for as long as it is in the
 * document, and kept in step as the library rewrites it.
 */
const TAG = 'jumpgate-style';

class AdoptedStyle extends HTMLElement {
  private sheet: CSSStyleSheet | null = null;
  private readonly observer = new MutationObserver(() => this.sync());

  connectedCallback(): void {
    this.hidden = true;
    this.sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.sheet];
    this.observer.observe(this, { childList: true, characterData: true, subtree: true });
    this.sync();
  }

  disconnectedCallback(): void {
    this.observer.disconnect();
    const sheet = this.sheet;
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
    this.sheet = null;
  }

  private sync(): void {
    this.sheet?.replaceSync(this.textContent ?? '');
  }
}

export function adoptScriptStyles(): void {
  if (customElements.get(TAG)) return;
  customElements.define(TAG, AdoptedStyle);
  const create: (tagName: string, options?: ElementCreationOptions) => HTMLElement = Document.prototype.createElement.bind(document);
  const replaced = (tagName: string, options?: ElementCreationOptions): HTMLElement => create(tagName.toLowerCase() === 'style' ? TAG : tagName, options);
  Object.defineProperty(Document.prototype, 'createElement', { value: replaced, configurable: true, writable: true });
}
