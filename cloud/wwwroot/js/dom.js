// A small element builder. Text always goes in as text nodes, never as HTML, so names that come from
// the server (users, appliances, endpoints, end messages) cannot inject markup.

/**
 * h('button', { class: 'btn', testid: 'connect-7', onclick: f }, 'Connect')
 * Attributes: `class`, `testid` (data-testid), `on<event>` handlers, booleans (true sets, false omits),
 * everything else as a string attribute. Children: nodes, strings, numbers, arrays; null/false are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }

    if (name === 'class') {
      element.className = value;
    } else if (name === 'testid') {
      element.dataset.testid = value;
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }

  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }

    if (Array.isArray(child)) {
      append(parent, child);
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces an element's children. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}
