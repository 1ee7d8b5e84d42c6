import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import type { Schedule } from '../types';
import { SchedulesPanel } from './SchedulesPanel';

const nightly: Schedule = {
  id: 3,
  project_id: 9,
  cron: '0 0 2 * * *',
  action: 'start',
  max_run_minutes: 120,
  enabled: true,
  created_at: '',
  updated_at: '',
  next_run: '2026-12-02T02:00:00+00:00',
  timezone: 'UTC',
};

describe('SchedulesPanel', () => {
  it('lists schedules and shows a refused cron beside its field', async () => {
    vi.spyOn(api, 'listSchedules').mockResolvedValue([nightly]);
    const create = vi
      .spyOn(api, 'createSchedule')
      .mockRejectedValueOnce(new ApiError(422, 'cron needs 6 fields', { field: 'cron', reason: 'needs 6 fields' }));
    render(<SchedulesPanel projectId={9} />);
    expect(await screen.findByText('0 0 2 * * *')).toBeInTheDocument();
    expect(screen.getByText(/at most 120 min/)).toBeInTheDocument();
    const cron = screen.getByLabelText('When (cron with seconds)');
    await userEvent.clear(cron);
    await userEvent.type(cron, '0 2 * * *');
    await userEvent.click(screen.getByRole('button', { name: 'Add schedule' }));
    expect(create).toHaveBeenCalledWith(9, expect.objectContaining({ cron: '0 2 * * *', action: 'start' }));
    expect(await screen.findByText('cron needs 6 fields')).toBeInTheDocument();
    expect(cron).toHaveAttribute('aria-invalid', 'true');
  });

  it('turns a schedule off', async () => {
    vi.spyOn(api, 'listSchedules').mockResolvedValue([nightly]);
    const update = vi.spyOn(api, 'updateSchedule').mockResolvedValueOnce({ ...nightly, enabled: false });
    render(<SchedulesPanel projectId={9} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Turn off' }));
    expect(update).toHaveBeenCalledWith(9, 3, expect.objectContaining({ enabled: false, cron: '0 0 2 * * *' }));
  });
});
