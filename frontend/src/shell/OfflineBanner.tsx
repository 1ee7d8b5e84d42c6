import { useEffect, useState } from 'react';

/** How often the banner looks again while the server cannot be reached. */
const RETRY_MS = 10_000;

/**
 * Whether the server can be reached. `navigator.onLine` alone misleads: it says "online" on a
 * captive Wi-Fi, and after a reload a browser may report it before it applied the offline
 * state. So the banner also asks the server (`/api/health`, never answered from the cache)
 * at start, when the browser says the network is back, and every few seconds while it is down.
 */
async function reachable(): Promise<boolean> {
  try {
    await fetch('/api/health', { cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

/** Says so when the device is offline: the shell still loads from the cache, the data cannot. */
export function OfflineBanner() {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    let live = true;
    const check = async () => {
      const ok = navigator.onLine && (await reachable());
      if (live) setOnline(ok);
    };
    const down = () => setOnline(false);
    const up = () => void check();
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    void check();
    return () => {
      live = false;
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  useEffect(() => {
    if (online) return;
    const timer = setInterval(() => {
      void reachable().then((ok) => ok && navigator.onLine && setOnline(true));
    }, RETRY_MS);
    return () => clearInterval(timer);
  }, [online]);
  if (online) return null;
  return (
    <div role="status" className="sticky top-0 z-50 bg-amber-400 px-4 py-2 text-center text-sm font-semibold text-amber-950">
      You are offline. AutoCode will reconnect when the network is back.
    </div>
  );
}
