// Entry point: who is signed in, the header, and hash routing (#/, #/sessions/{id}, #/join, #/invite/{key},
// #/history?…, #/history/{id}, #/audit, #/appliances, #/appliances/add?code=…) so that a second tab can open a session directly. Each view returns a dispose function that
// the router calls on leaving.

import { UNAUTHORIZED_EVENT, getMe, logout } from './api.js';
import { h } from './dom.js';
import { renderAccessRequests } from './views/access-requests.js';
import { renderAdmin } from './views/admin.js';
import { renderAddAppliance, renderAppliances } from './views/appliances.js';
import { renderAudit } from './views/audit.js';
import { renderDashboard } from './views/dashboard.js';
import { renderHistory } from './views/history.js';
import { renderHistoryDetail } from './views/history-detail.js';
import { renderLogin } from './views/login.js';
import { renderSession } from './views/session.js';
import { renderGuestHome, renderInvite } from './views/invite.js';
import { renderJoin } from './views/join.js';

const main = document.getElementById('main');
const userArea = document.getElementById('user-area');
const userName = document.getElementById('current-user');
const userRole = document.getElementById('current-role');
const logoutButton = document.getElementById('logout');

let user = null;
let disposeView = null;
let routedHash = null;
let signingIn = false; // an invite's visitor chose to sign in: show the sign-in form on the invite's address

function parseRoute(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const session = /^\/sessions\/([^/?#]+)\/?$/.exec(path);
  if (session) {
    return { name: 'session', sessionId: decodeURIComponent(session[1]) };
  }

  if (path === '/login') {
    return { name: 'login' };
  }

  const past = /^\/history\/([^/?#]+)\/?$/.exec(path);
  if (past) {
    return { name: 'history-detail', sessionId: decodeURIComponent(past[1]) };
  }

  const history = /^\/history\/?(?:\?(.*))?$/.exec(path);
  if (history) {
    return { name: 'history', params: new URLSearchParams(history[1] ?? '') };
  }

  if (path === '/audit') {
    return { name: 'audit' };
  }

  // Joint sessions: join by code, invite links (#/invite/{key} is open to visitors who are not signed in).
  if (path === '/join') {
    return { name: 'join' };
  }

  const invite = /^\/invite\/([^/?#]+)\/?$/.exec(path);
  if (invite) {
    return { name: 'invite', key: decodeURIComponent(invite[1]) };
  }

  const appliances = /^\/appliances(\/add)?\/?(?:\?(.*))?$/.exec(path);
  if (appliances) {
    return { name: appliances[1] ? 'add-appliance' : 'appliances', params: new URLSearchParams(appliances[2] ?? '') };
  }

  if (path === '/admin' || path === '/access-requests') {
    return { name: path.slice(1) };
  }

  return { name: 'dashboard' };
}

function show(render, context) {
  disposeView?.();
  disposeView = null;
  disposeView = render(main, context) ?? null;
}

function route({ notice } = {}) {
  let target = parseRoute(location.hash);
  if (user && target.name === 'login') {
    location.replace('#/');
    target = parseRoute(location.hash);
  }

  routedHash = location.hash;
  showUser();
  if (target.name === 'invite') {
    if (signingIn) {
      signingIn = false; // after signing in, the invite is redeemed for the account
      show(renderLogin, { notice: 'Sign in to accept the invitation.', onSignedIn });
      return;
    }

    show(renderInvite, {
      key: target.key,
      user,
      onSignedIn: (guest) => {
        user = guest;
        showUser();
      },
      onSignIn: () => {
        signingIn = true;
        route();
      },
    });
    return; // the view focuses its name field
  }

  if (user?.role === 'guest' && target.name !== 'session') {
    show(renderGuestHome, {});
    focusHeading();
    return;
  }

  if (!user) {
    // Stay on the requested address (a shared #/sessions/… link) and show it after signing in.
    show(renderLogin, { notice, onSignedIn });
    return;
  }

  if (target.name === 'session') {
    show(renderSession, { sessionId: target.sessionId, user });
  } else if (target.name === 'history') {
    show(renderHistory, { user, params: target.params });
  } else if (target.name === 'history-detail') {
    show(renderHistoryDetail, { user, sessionId: target.sessionId });
  } else if (target.name === 'audit' && user.role === 'domain-admin') {
    show(renderAudit, { user });
  } else if (target.name === 'join') {
    show(renderJoin, { user });
  } else if (target.name === 'admin' && user.role === 'domain-admin') {
    show(renderAdmin, { user });
  } else if (target.name === 'appliances' && pairs(user)) {
    show(renderAppliances, { user });
  } else if (target.name === 'add-appliance' && pairs(user)) {
    show(renderAddAppliance, { user, params: target.params });
  } else if (target.name === 'access-requests' && user.role !== 'guest') {
    show(renderAccessRequests, { user });
  } else {
    show(renderDashboard, { user });
  }

  focusHeading();
}

/** Field engineers and domain admins pair appliances. */
function pairs(u) {
  return u?.role === 'field-engineer' || u?.role === 'domain-admin';
}

function onSignedIn(signedIn) {
  user = signedIn;
  route();
}

// Links to the other pages, for the roles that use them. Below 900 px (phones, tablets) they fold behind a Menu button (the header
// keeps its one-row height, which the terminal's fit counts on).
const nav = h('nav', { class: 'app-nav', id: 'app-nav', 'aria-label': 'Main' });
const menuButton = h('button', {
  type: 'button',
  class: 'btn btn-secondary btn-small app-menu',
  testid: 'nav-menu',
  'aria-controls': 'app-nav',
  'aria-expanded': 'false',
  onclick: () => setMenu(!nav.classList.contains('open')),
}, 'Menu');
userArea.prepend(menuButton, nav);

function setMenu(open) {
  nav.classList.toggle('open', open);
  menuButton.setAttribute('aria-expanded', String(open));
}

function showUser() {
  userArea.hidden = !user;
  const links = [];
  if (user?.role === 'domain-admin') {
    links.push(h('a', { href: '#/admin', testid: 'nav-admin' }, 'Administration'));
  }

  if (user?.role === 'domain-admin' || user?.role === 'technician') {
    links.push(h('a', { href: '#/access-requests', testid: 'nav-access-requests' }, 'Access requests'));
  }

  if (pairs(user)) {
    links.push(h('a', { href: '#/appliances', testid: 'nav-appliances' }, 'Appliances'));
  }

  if (user && user.role !== 'guest') {
    links.push(h('a', { href: '#/history', testid: 'nav-history' }, 'History'));
  }

  if (user?.role === 'domain-admin') {
    links.push(h('a', { href: '#/audit', testid: 'nav-audit' }, 'Audit'));
  }

  nav.replaceChildren(...links);
  menuButton.hidden = links.length === 0;
  setMenu(false);
  userName.textContent = user?.name ?? '';
  userRole.textContent = user?.role ? formatRole(user.role) : '';
}

function formatRole(role) {
  const text = String(role).replace(/[-_]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function focusHeading() {
  // Move focus to the new view's heading so keyboard and screen-reader users start there; the session
  // view moves it on to the terminal when the user is in control.
  const heading = main.querySelector('h1[tabindex="-1"]');
  heading?.focus({ preventScroll: true });
}

logoutButton.addEventListener('click', async () => {
  logoutButton.disabled = true;
  try {
    await logout();
  } catch (error) {
    console.warn('EdgeGateway: sign-out request failed; signing out locally.', error);
  } finally {
    logoutButton.disabled = false;
  }

  user = null;
  location.replace('#/');
  route({ notice: 'You are signed out.' });
});

window.addEventListener(UNAUTHORIZED_EVENT, () => {
  if (user) {
    user = null;
    route({ notice: 'Your sign-in has expired. Please sign in again.' });
  }
});

window.addEventListener('hashchange', () => {
  // route() itself replaces the hash at times; that change is already shown.
  if (location.hash !== routedHash) {
    route();
  }
});

async function start() {
  try {
    user = await getMe();
  } catch (error) {
    user = null;
    main.replaceChildren(h('div', { class: 'notice notice-error', role: 'alert' },
      h('p', {}, error.message),
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => location.reload() }, 'Try again')));
    return;
  }

  route();
}

start();
