// A modal question with two answers (terminate a session, …). Resolves true for the confirming button, false for
// Cancel or Escape. The confirming button is not focused first: Enter alone does not
// terminate anybody's session.

import { h } from '../dom.js';

let nextId = 0;

/**
 * @param {{title: string, message: string, confirm: string, danger?: boolean, testid?: string}} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, message, confirm, danger = false, testid = 'confirm-dialog' }) {
  const id = `confirm-${++nextId}`;
  return new Promise((resolve) => {
    let answer = false;
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', testid: `${testid}-cancel`, onclick: () => dialog.close() }, 'Cancel');
    const ok = h('button', {
      type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', testid: `${testid}-confirm`,
      onclick: () => {
        answer = true;
        dialog.close();
      },
    }, confirm);
    const dialog = h('dialog', { class: 'dialog', testid, 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-text` },
      h('div', { class: 'dialog-form' },
        h('h2', { id: `${id}-title`, class: 'dialog-title' }, title),
        h('p', { id: `${id}-text`, class: 'dialog-subtitle' }, message),
        h('div', { class: 'dialog-actions' }, cancel, ok)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
