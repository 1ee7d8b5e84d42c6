import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OfflineBanner } from './OfflineBanner';

afterEach(() => vi.restoreAllMocks());

describe('OfflineBanner', () => {
  it('says so when the server cannot be reached although the browser claims to be online', async () => {
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('Failed to fetch'));
    render(<OfflineBanner />);
    expect(await screen.findByText(/You are offline/)).toBeInTheDocument();
  });

  it('stays hidden while the server answers, and shows when the browser goes offline', async () => {
    const health = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('{}'));
    render(<OfflineBanner />);
    await vi.waitFor(() => expect(health).toHaveBeenCalledWith('/api/health', { cache: 'no-store' }));
    expect(screen.queryByText(/You are offline/)).not.toBeInTheDocument();
    act(() => {
      window.dispatchEvent(new Event('offline'));
    });
    expect(screen.getByText(/You are offline/)).toBeInTheDocument();
  });
});
