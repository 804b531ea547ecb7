// Formatting for durations and times. No DOM dependency, so Node can test it.

/** "45s", "3m 12s", "2h 05m", "3d 4h". Negative input (clock skew) counts as zero. */
export function formatDuration(milliseconds) {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) {
    return `${days}d ${hours}h`;
  }

  if (hours > 0) {
    return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  }

  if (minutes > 0) {
    return `${minutes}m ${seconds}s`;
  }

  return `${seconds}s`;
}

/** Milliseconds since an ISO time, or NaN when it does not parse. */
export function elapsedSince(iso, now = Date.now()) {
  const start = Date.parse(iso);
  return Number.isNaN(start) ? Number.NaN : now - start;
}

/** A local clock time for today, or date and time otherwise. */
export function formatTime(iso, now = new Date()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '—';
  }

  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "just now", "4 min ago", "2 h ago", "3 days ago". */
export function formatAgo(iso, now = Date.now()) {
  const elapsed = elapsedSince(iso, now);
  if (Number.isNaN(elapsed)) {
    return 'never';
  }

  const seconds = Math.max(0, Math.floor(elapsed / 1000));
  if (seconds < 60) {
    return 'just now';
  }

  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ago`;
  }

  if (seconds < 86400) {
    return `${Math.floor(seconds / 3600)} h ago`;
  }

  const days = Math.floor(seconds / 86400);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}
