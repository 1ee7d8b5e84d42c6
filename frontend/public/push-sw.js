// Pulled into the generated service worker (workbox `importScripts`): shows the daemon's Web Push
// messages and opens their deep link on click, focusing an open AutoCode window when there is one.
// A permission's notification offers Approve / Deny where the browser shows actions; a button
// answers with the single-use token the push carried (the worker has no session of its own), and
// when that cannot work (expired, used, offline) it opens the inbox item instead.
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: 'AutoCode', body: event.data ? event.data.text() : '' };
  }
  const title = data.title || 'AutoCode';
  const actions = Array.isArray(data.actions) ? data.actions.slice(0, Notification.maxActions || 2) : [];
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || '',
      tag: data.tag || undefined,
      // A newer state of the same project replaces the older notification, and still buzzes.
      renotify: Boolean(data.tag),
      icon: '/icons/icon-192.png',
      actions,
      // A permission waits for an answer: keep it on screen until the member acts.
      requireInteraction: actions.length > 0,
      data: { url: data.url || '/', event: data.event, answer: data.answer || null },
    }),
  );
});

/** Answers a permission with the notification's token; false when the inbox must be opened. */
async function answer(data, option) {
  const a = data && data.answer;
  if (!a || typeof a.url !== 'string' || typeof a.token !== 'string') return false;
  try {
    const response = await fetch(new URL(a.url, self.location.origin).href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: a.token, option }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Shows `url` in an open AutoCode window (the app routes it), or opens one. */
async function open(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const win = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (!win) return self.clients.openWindow(url);
  win.postMessage({ type: 'open', url });
  return win.focus().catch(() => win);
}

async function clicked(notification, action) {
  const data = notification.data || {};
  if ((action === 'allow' || action === 'deny') && (await answer(data, action))) return undefined;
  const url = new URL(data.url || '/', self.location.origin);
  return open(url.origin === self.location.origin ? url.pathname + url.search + url.hash : '/');
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(clicked(event.notification, event.action));
});
