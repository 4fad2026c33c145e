// The server renders #app with data-id and a no-JS fallback; the page replaces the fallback.

export function mount(renderInto: (el: HTMLElement, id: string) => void): void {
  const el = document.getElementById('app');
  const id = el?.dataset.id ?? '';
  if (!el || !/^[0-9A-Za-z]{6,}$/.test(id)) return;
  el.replaceChildren();
  renderInto(el, id);
}
