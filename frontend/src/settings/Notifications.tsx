// Phone notifications: subscribe this browser to Web Push (the daemon's VAPID key as the
// application server key), list and remove subscribed devices, send a test notification.
import { useState } from 'react';
import { api, describeError } from '../api';
import { Button, Card, ErrorMessage, Notice } from '../ui/controls';
import { useResource } from '../ui/useResource';

/** base64url → bytes, as `pushManager.subscribe` wants the key. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function supported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof window !== 'undefined' && 'PushManager' in window;
}

function deviceName(): string {
  const ua = navigator.userAgent;
  if (/iPhone|iPad/.test(ua)) return 'iPhone or iPad';
  if (/Android/.test(ua)) return 'Android phone';
  return 'This computer';
}

export function Notifications() {
  const subs = useResource(() => api.listPushSubscriptions(), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function subscribe() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if ((await Notification.requestPermission()) !== 'granted') {
        setError('Notifications are blocked for this site: allow them in the browser settings, then try again.');
        return;
      }
      const { key } = await api.vapidPublicKey();
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
      await api.addPushSubscription(subscription.toJSON(), deviceName());
      setNotice('This device will be notified when a project needs you, completes or fails.');
      await subs.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const { queued } = await api.sendTestNotification();
      setNotice(`Sent to ${queued} device${queued === 1 ? '' : 's'}. It should appear in a few seconds.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(id: number) {
    setError(null);
    try {
      await api.deletePushSubscription(id);
      await subs.reload();
    } catch (e) {
      setError(describeError(e));
    }
  }

  return (
    <Card title="Notifications">
      <p className="mb-3 text-sm text-slate-400">Get a notification on this device when a project needs you, completes or fails.</p>
      <ErrorMessage>{error ?? subs.error}</ErrorMessage>
      {notice && <Notice>{notice}</Notice>}
      {subs.data && subs.data.length > 0 && (
        <ul className="my-3 flex flex-col gap-2">
          {subs.data.map((s) => (
            <li key={s.id} className="flex items-center justify-between gap-2 rounded-lg border border-slate-800 p-3 text-sm">
              <span className="min-w-0 truncate text-slate-200">
                {s.device || 'A device'} · since {new Date(s.created_at).toLocaleDateString()}
              </span>
              <Button variant="ghost" onClick={() => void remove(s.id)}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap gap-2">
        {supported() ? (
          <Button busy={busy} onClick={() => void subscribe()}>
            Notify this device
          </Button>
        ) : (
          <p className="text-sm text-slate-400">This browser cannot receive notifications. On an iPhone, add AutoCode to the home screen first.</p>
        )}
        <Button variant="ghost" busy={busy} onClick={() => void test()}>
          Send a test notification
        </Button>
      </div>
    </Card>
  );
}
