// A tapped notification in an already open window: the service worker posts the deep link here
// (public/push-sw.js) and the app routes to it, keeping the session it has in memory.
import { useEffect } from 'react';
import { useNavigate } from 'react-router';

export function NotificationLinks() {
  const navigate = useNavigate();
  useEffect(() => {
    const sw = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;
    if (!sw) return;
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; url?: unknown } | null;
      if (data?.type === 'open' && typeof data.url === 'string' && data.url.startsWith('/') && !data.url.startsWith('//')) {
        void navigate(data.url);
      }
    };
    sw.addEventListener('message', onMessage);
    return () => sw.removeEventListener('message', onMessage);
  }, [navigate]);
  return null;
}
