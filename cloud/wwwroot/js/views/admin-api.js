// Administration, requests for access and TOTP enrolment calls (/api/admin/…, /api/access-requests, /api/auth/totp).

import { request } from '../api.js';

const enc = encodeURIComponent;

export const listUsers = () => request('GET', 'api/admin/users');
export const createUser = (body) => request('POST', 'api/admin/users', body);
export const updateUser = (id, body) => request('PATCH', `api/admin/users/${enc(id)}`, body);
export const resetPassword = (id) => request('POST', `api/admin/users/${enc(id)}/password`, {});
export const resetTotp = (id) => request('DELETE', `api/admin/users/${enc(id)}/totp`);
export const listGroups = () => request('GET', 'api/admin/groups');
export const createGroup = (name) => request('POST', 'api/admin/groups', { name });
export const setGroupMember = (groupId, userId, member) =>
  request(member ? 'PUT' : 'DELETE', `api/admin/groups/${enc(groupId)}/members/${enc(userId)}`, member ? {} : undefined);
export const listGrants = () => request('GET', 'api/admin/grants');
export const createGrant = (body) => request('POST', 'api/admin/grants', body);
export const revokeGrant = (id) => request('DELETE', `api/admin/grants/${enc(id)}`);
export const listAdminAppliances = () => request('GET', 'api/admin/appliances');
export const setEndpointPolicy = (applianceId, endpointId, policy) =>
  request('PUT', `api/admin/appliances/${enc(applianceId)}/endpoints/${enc(endpointId)}/policy`, policy);
export const acceptCertificate = (applianceId, endpointId, fingerprint) =>
  request('PUT', `api/admin/appliances/${enc(applianceId)}/endpoints/${enc(endpointId)}/certificate`, { fingerprint });
export const assignAppliance = (applianceId, domainId) => request('PUT', `api/admin/appliances/${enc(applianceId)}/domain`, { domainId });
export const listDomains = () => request('GET', 'api/admin/domains');
export const createDomain = (body) => request('POST', 'api/admin/domains', body);
export const updateDomain = (id, body) => request('PATCH', `api/admin/domains/${enc(id)}`, body);

export const listAccessRequests = () => request('GET', 'api/access-requests');
export const createAccessRequest = (body) => request('POST', 'api/access-requests', body);
export const decideAccessRequest = (id, approve, reason) => request('POST', `api/access-requests/${enc(id)}/decision`, { approve, reason });

/** Confirms a TOTP enrolment with the app's first code; signs in. */
export const confirmTotpEnrolment = (enrolment, code) =>
  request('POST', 'api/auth/totp/enrol', { enrolment, code }, { signalUnauthorized: false });
