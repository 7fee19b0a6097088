// Tiny DOM builders. Everything is built with createElement and textContent: no innerHTML, so names that come
// from events can never inject markup, and nothing needs the inline styles or scripts the page's CSP forbids.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, props, children) {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (name === 'class') el.setAttribute('class', value);
    else if (name === 'text') el.textContent = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h('td', {class: 'num'}, '42'). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element (drawn inline: no image request leaves the page). */
export function svg(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

/** Replaces the children of a node. */
export function fill(node, ...children) {
  node.replaceChildren();
  return build(node, null, children);
}

/** Remembers which element had the focus (by its data-focus key) so a re-render can give it back. */
export function focusKey() {
  return document.activeElement?.dataset?.focus ?? null;
}

export function restoreFocus(key) {
  if (!key) return;
  const el = [...document.querySelectorAll('[data-focus]')].find(e => e.dataset.focus === key);
  if (el && document.activeElement !== el) el.focus({ preventScroll: true });
}
