// Administration for domain admins: users, groups, access grants, endpoint policy, domain settings and (for the
// installation's administrators, the default domain's) domains. Everything reloads after each change; a generated
// password is shown once, in a notice the admin dismisses.

import { h, replaceChildren } from '../dom.js';
import * as api from './admin-api.js';

const ROLES = [['domain-admin', 'Domain admin'], ['technician', 'Technician'], ['operator', 'Operator'], ['field-engineer', 'Field engineer']];

/**
 * @param {HTMLElement} root
 * @param {{user: {id: string, domainId: string}}} context
 */
export function renderAdmin(root, { user }) {
  let disposed = false;
  const status = h('div', { role: 'status', testid: 'admin-status' });
  const sections = {
    users: h('div', { testid: 'admin-users' }),
    groups: h('div', { testid: 'admin-groups' }),
    grants: h('div', { testid: 'admin-grants' }),
    policy: h('div', { testid: 'admin-policy' }),
    domain: h('div', { testid: 'admin-domain' }),
    domains: h('div', { testid: 'admin-domains' }),
  };
  const panel = (id, title, content) => h('section', { class: 'panel', 'aria-labelledby': `admin-${id}-heading` },
    h('h2', { id: `admin-${id}-heading`, class: 'panel-title' }, title), content);
  root.replaceChildren(h('div', { class: 'dashboard admin' },
    h('div', { class: 'page-heading' }, h('h1', { tabindex: '-1' }, 'Administration'),
      h('p', { class: 'muted' }, 'Users, who may use which endpoints, and the policy of each endpoint in your domain.')),
    status,
    panel('users', 'Users', sections.users),
    panel('groups', 'Groups', sections.groups),
    panel('grants', 'Access', sections.grants),
    panel('policy', 'Endpoint policy', sections.policy),
    panel('domain', 'Domain settings', sections.domain),
    panel('domains', 'Domains', sections.domains)));
  document.title = 'Administration — EdgeGateway';

  let data = null;
  load();

  async function load() {
    try {
      const [users, groups, grants, appliances, domains] = await Promise.all([
        api.listUsers(), api.listGroups(), api.listGrants(), api.listAdminAppliances(), api.listDomains()]);
      if (disposed) {
        return;
      }

      data = { users, groups, grants, appliances, domains };
      showUsers();
      showGroups();
      showGrants();
      showPolicy();
      showDomain();
      showDomains();
    } catch (failure) {
      say(failure.message, true);
    }
  }

  function say(message, isError = false, secret = null) {
    replaceChildren(status, h('div', { class: `notice ${isError ? 'notice-error' : ''}`, role: isError ? 'alert' : 'status' },
      h('p', {}, message),
      secret ? h('p', {}, h('code', { class: 'mono secret', testid: 'admin-secret' }, secret), ' — shown only now: hand it over safely.') : null,
      h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => replaceChildren(status) }, 'Dismiss')));
  }

  /** Runs a change, then reloads; failures are shown. */
  async function act(change, done) {
    try {
      const result = await change();
      await load();
      if (done) {
        done(result);
      }
    } catch (failure) {
      say(failure.message, true);
    }
  }

  const roleSelect = (value, attrs = {}) => h('select', attrs,
    ROLES.map(([id, label]) => h('option', { value: id, selected: id === value }, label)));
  const userName = (id) => data.users.find((u) => u.id === id)?.name ?? id;

  // ---- users
  function showUsers() {
    const name = h('input', { type: 'text', maxlength: '64', required: true, 'aria-label': 'New user name', placeholder: 'User name', testid: 'new-user-name' });
    const role = roleSelect('technician', { 'aria-label': 'Role of the new user', testid: 'new-user-role' });
    const form = h('form', { class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      act(() => api.createUser({ name: name.value.trim(), role: role.value }),
        (r) => say(`Created ${r.user.name}. Their password:`, false, r.password));
    } }, name, role, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'create-user' }, 'Create user'));

    replaceChildren(sections.users, form, h('table', { class: 'table table-stack' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, data.users.map((u) => {
        const self = u.id === user.id;
        return h('tr', { testid: `user-row-${u.name}` },
          h('th', { scope: 'row' }, u.name, self ? h('span', { class: 'muted small' }, ' (you)') : null),
          h('td', { 'data-label': 'Role' }, roleSelect(u.role, {
            'aria-label': `Role of ${u.name}`, disabled: self, testid: `user-role-${u.name}`,
            onchange: (e) => act(() => api.updateUser(u.id, { role: e.target.value }), () => say(`${u.name} is now ${e.target.value}.`)),
          })),
          h('td', { 'data-label': 'State' }, u.disabled ? h('span', { class: 'badge badge-offline' }, 'Disabled') : 'Active',
            u.totpEnrolled ? h('span', { class: 'muted small' }, ' · authenticator') : null),
          h('td', { class: 'col-action' },
            self ? null : h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: `user-toggle-${u.name}`,
              onclick: () => act(() => api.updateUser(u.id, { disabled: !u.disabled })) }, u.disabled ? 'Enable' : 'Disable'),
            ' ',
            h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: `user-reset-${u.name}`,
              onclick: () => act(() => api.resetPassword(u.id), (r) => say(`New password for ${u.name}:`, false, r.password)) }, 'Reset password'),
            u.totpEnrolled ? [' ', h('button', { type: 'button', class: 'btn btn-secondary btn-small',
              onclick: () => act(() => api.resetTotp(u.id), () => say(`${u.name} enrols a new authenticator at the next sign-in.`)) }, 'Remove authenticator')] : null));
      }))));
  }

  // ---- groups
  function showGroups() {
    const name = h('input', { type: 'text', maxlength: '64', required: true, placeholder: 'Group name', 'aria-label': 'New group name', testid: 'new-group-name' });
    const form = h('form', { class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      act(() => api.createGroup(name.value.trim()));
    } }, name, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'create-group' }, 'Create group'));
    replaceChildren(sections.groups, form, data.groups.length === 0 ? h('p', { class: 'empty' }, 'No groups yet.') : h('ul', { class: 'plain-list' },
      data.groups.map((g) => {
        const add = h('select', { 'aria-label': `Add a member to ${g.name}` }, h('option', { value: '' }, 'Add member…'),
          data.users.filter((u) => !g.memberIds.includes(u.id)).map((u) => h('option', { value: u.id }, u.name)));
        add.addEventListener('change', () => add.value && act(() => api.setGroupMember(g.id, add.value, true)));
        return h('li', { testid: `group-${g.name}` }, h('strong', {}, g.name), ': ',
          g.memberIds.length === 0 ? h('span', { class: 'muted' }, 'no members') : g.memberIds.map((id) => h('span', { class: 'chip' }, userName(id),
            h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${userName(id)} from ${g.name}`, onclick: () => act(() => api.setGroupMember(g.id, id, false)) }, '×'))),
          ' ', add);
      })));
  }

  // ---- grants
  function showGrants() {
    const subject = h('select', { 'aria-label': 'Who', testid: 'grant-subject' },
      h('optgroup', { label: 'Users' }, data.users.map((u) => h('option', { value: `user:${u.id}` }, u.name))),
      h('optgroup', { label: 'Groups' }, data.groups.map((g) => h('option', { value: `group:${g.id}` }, g.name))));
    const endpoint = h('select', { 'aria-label': 'Where', testid: 'grant-endpoint' },
      data.appliances.filter((a) => a.domainId === user.domainId).map((a) => h('optgroup', { label: a.name },
        h('option', { value: `${a.id}|*` }, `${a.name}: all endpoints`),
        a.endpoints.map((e) => h('option', { value: `${a.id}|${e.id}` }, `${a.name}: ${e.name}`)))));
    const form = h('form', { class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      const [subjectType, subjectId] = subject.value.split(':');
      const [applianceId, endpointId] = endpoint.value.split('|');
      act(() => api.createGrant({ subjectType, subjectId, applianceId, endpointId }));
    } }, subject, endpoint, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'create-grant' }, 'Grant access'));
    replaceChildren(sections.grants, form, data.grants.length === 0 ? h('p', { class: 'empty' }, 'Nobody has access yet (administrators always have).') : h('table', { class: 'table table-stack' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Who'), h('th', { scope: 'col' }, 'Appliance'), h('th', { scope: 'col' }, 'Endpoint'),
        h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Revoke')))),
      h('tbody', {}, data.grants.map((g) => h('tr', { testid: `grant-${g.id}` },
        h('th', { scope: 'row' }, g.subjectName, g.subjectType === 'group' ? h('span', { class: 'muted small' }, ' (group)') : null),
        h('td', { 'data-label': 'Appliance' }, g.applianceId),
        h('td', { 'data-label': 'Endpoint' }, g.endpointId === '*' ? 'all' : g.endpointId),
        h('td', { class: 'col-action' }, h('button', { type: 'button', class: 'btn btn-danger-outline btn-small', onclick: () => act(() => api.revokeGrant(g.id)) }, 'Revoke')))))));
  }

  // ---- endpoint policy
  function showPolicy() {
    const endpoints = data.appliances.filter((a) => a.domainId === user.domainId).flatMap((a) => a.endpoints.map((e) => ({ a, e })));
    replaceChildren(sections.policy, endpoints.length === 0 ? h('p', { class: 'empty' }, 'No endpoints in this domain.') : endpoints.map(({ a, e }) => policyForm(a, e)));
  }

  function policyForm(appliance, endpoint) {
    const p = endpoint.policy;
    const id = `${appliance.id}-${endpoint.id}`;
    const check = (name, label, value) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, checked: value, testid: `policy-${name}-${id}` }), ' ', label);
    const number = (name, label, value, min, max) => h('label', { class: 'number' }, label, ' ',
      h('input', { type: 'number', name, min, max, value: value ?? '', placeholder: 'none', testid: `policy-${name}-${id}` }));
    const form = h('form', { class: 'policy-form', testid: `policy-${id}`, onsubmit: (e) => {
      e.preventDefault();
      const f = form.elements;
      const minutes = f.maxSessionMinutes.value.trim();
      act(() => api.setEndpointPolicy(appliance.id, endpoint.id, {
        jointSession: f.jointSession.checked, maxParticipants: Number(f.maxParticipants.value), rfaRequired: f.rfaRequired.checked,
        maxSessionMinutes: minutes === '' ? null : Number(minutes), sharedControl: f.sharedControl.checked, supervisionRequired: f.supervisionRequired.checked,
        clipboard: f.clipboard.value,
      }), () => say(`Saved the policy of ${endpoint.name}.`));
    } },
    h('h3', {}, `${endpoint.name}`, h('span', { class: 'muted small' }, ` on ${appliance.name}`)),
    h('div', { class: 'policy-fields' },
      check('jointSession', 'Joint session', p.jointSession),
      number('maxParticipants', 'Max participants', p.maxParticipants, 1, 100),
      check('rfaRequired', 'Request for access required', p.rfaRequired),
      number('maxSessionMinutes', 'Max session minutes', p.maxSessionMinutes, 1, 10080),
      check('sharedControl', 'Shared control', p.sharedControl),
      check('supervisionRequired', 'Supervision required', p.supervisionRequired),
      // Clipboard text of remote-display (VNC) sessions; off by default, enforced by the cloud.
      h('label', { class: 'number' }, 'Clipboard (VNC) ',
        h('select', { name: 'clipboard', testid: `policy-clipboard-${id}` },
          [['off', 'Off'], ['device-to-browser', 'Device → browser'], ['both', 'Both ways']].map(([value, label]) =>
            h('option', { value, selected: (p.clipboard ?? 'off') === value }, label))))),
    h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: `policy-save-${id}` }, 'Save policy'),
    certificateInfo(appliance, endpoint, id));
    return form;
  }

  /**
   * RDP: the certificate pinned on first use, and a different one the device presented since (refused until accepted
   * here). Fingerprints are SHA-256, shown in groups of four so that they can be read out and compared.
   */
  function certificateInfo(appliance, endpoint, id) {
    const c = endpoint.certificate;
    if (!/^rdp$/i.test(endpoint.protocol ?? '')) {
      return null;
    }

    const groups = (fingerprint) => fingerprint.match(/.{1,4}/g).join(' ');
    if (!c) {
      return h('p', { class: 'muted small', testid: `certificate-${id}` }, 'Certificate: pinned at the first connection.');
    }

    return h('div', { class: 'certificate', testid: `certificate-${id}` },
      h('p', { class: 'small' }, 'Pinned certificate (SHA-256): ', h('code', {}, groups(c.fingerprint)),
        h('span', { class: 'muted' }, ` · ${c.pinnedBy}, ${new Date(c.pinnedAt).toLocaleString()}`)),
      c.presented ? h('p', { class: 'notice notice-warning', testid: `certificate-changed-${id}` },
        `On ${new Date(c.presentedAt).toLocaleString()} the device presented another certificate and was refused: `,
        h('code', {}, groups(c.presented)), '. Accept it only if you know why it changed (a reinstalled or renewed device). ',
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: `certificate-accept-${id}`,
          onclick: () => act(() => api.acceptCertificate(appliance.id, endpoint.id, c.presented), () => say(`Accepted the new certificate of ${endpoint.name}.`)) },
        'Accept new certificate')) : null);
  }

  // ---- this domain's settings
  function showDomain() {
    const domain = data.domains.find((d) => d.id === user.domainId);
    if (!domain) {
      replaceChildren(sections.domain);
      return;
    }

    const totp = h('input', { type: 'checkbox', checked: domain.adminTotpRequired, testid: 'domain-totp' });
    const minutes = h('input', { type: 'number', min: 1, max: 1440, value: domain.inviteMinutes, testid: 'domain-invite-minutes' });
    replaceChildren(sections.domain, h('form', { class: 'policy-form', onsubmit: (e) => {
      e.preventDefault();
      act(() => api.updateDomain(domain.id, { adminTotpRequired: totp.checked, inviteMinutes: Number(minutes.value) }), () => say('Saved the domain settings.'));
    } },
    h('h3', {}, domain.name),
    h('div', { class: 'policy-fields' },
      h('label', { class: 'check' }, totp, ' Administrators sign in with an authenticator app (TOTP)'),
      h('label', { class: 'number' }, 'Invite links last (minutes) ', minutes)),
    h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'domain-save' }, 'Save settings')));
  }

  // ---- domains (the installation's administrators: the default domain's)
  function showDomains() {
    if (user.domainId !== 'default') {
      replaceChildren(sections.domains, h('p', { class: 'muted' }, 'Domains are managed by the installation\'s administrators.'));
      return;
    }

    const name = h('input', { type: 'text', maxlength: '64', required: true, placeholder: 'Domain name', 'aria-label': 'New domain name', testid: 'new-domain-name' });
    const adminName = h('input', { type: 'text', maxlength: '64', required: true, placeholder: 'Its first administrator', 'aria-label': 'User name of its first administrator', testid: 'new-domain-admin' });
    const form = h('form', { class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      act(() => api.createDomain({ name: name.value.trim(), adminName: adminName.value.trim() }),
        (r) => say(`Created the domain ${r.domain.name}; password of ${r.admin.name}:`, false, r.password));
    } }, name, adminName, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'create-domain' }, 'Create domain'));
    replaceChildren(sections.domains, form, h('table', { class: 'table table-stack' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Appliance'), h('th', { scope: 'col' }, 'Domain'))),
      h('tbody', {}, data.appliances.map((a) => h('tr', {},
        h('th', { scope: 'row' }, a.name),
        h('td', { 'data-label': 'Domain' }, h('select', {
          'aria-label': `Domain of ${a.name}`,
          onchange: (e) => act(() => api.assignAppliance(a.id, e.target.value)),
        }, data.domains.map((d) => h('option', { value: d.id, selected: d.id === a.domainId }, d.name)))))))));
  }

  return () => { disposed = true; };
}
