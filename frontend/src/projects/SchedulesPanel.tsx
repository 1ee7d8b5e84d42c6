// The project's schedules: when it starts or resumes by itself, and for how long it may run.
// Cron times are the server's (its timezone is shown); the server checks every field and a
// refusal is shown beside the field it is about.
import { useState } from 'react';
import { api, ApiError, describeError } from '../api';
import type { Schedule, ScheduleAction, ScheduleInput } from '../types';
import { Button, Card, Empty, ErrorMessage, Field, Loading } from '../ui/controls';
import { useResource } from '../ui/useResource';

const EMPTY: ScheduleInput = { cron: '0 0 2 * * *', action: 'start', max_run_minutes: 120, enabled: true };

function when(s: Schedule): string {
  if (!s.enabled) return 'off';
  if (!s.next_run) return 'no next run';
  return `next ${new Date(s.next_run).toLocaleString()}`;
}

export function SchedulesPanel({ projectId }: { projectId: number }) {
  const list = useResource(() => api.listSchedules(projectId), [projectId]);
  const [draft, setDraft] = useState<ScheduleInput>(EMPTY);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setFieldError(null);
    try {
      await action();
      await list.reload();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.field) setFieldError({ field: e.field, message: e.message });
      else setError(describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const errorFor = (field: string) => (fieldError?.field === field ? fieldError.message : null);
  const schedules = list.data ?? [];
  const timezone = schedules[0]?.timezone ?? 'the server’s timezone';

  return (
    <Card title="Schedules">
      <div className="flex flex-col gap-3">
        <ErrorMessage>{error ?? list.error}</ErrorMessage>
        {list.loading && !list.data ? (
          <Loading what="the schedules" />
        ) : schedules.length === 0 ? (
          <Empty>No schedules: the project runs when you start it.</Empty>
        ) : (
          <ul className="flex flex-col gap-2" aria-label="Schedules">
            {schedules.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-800 p-2 text-sm">
                <code className="text-sky-200">{s.cron}</code>
                <span>
                  {s.action}
                  {s.max_run_minutes ? `, at most ${s.max_run_minutes} min` : ''}
                </span>
                <span className="text-slate-400">{when(s)}</span>
                <span className="ml-auto flex gap-2">
                  <Button
                    variant="secondary"
                    disabled={busy}
                    onClick={() => run(() => api.updateSchedule(projectId, s.id, { ...s, enabled: !s.enabled }))}
                  >
                    {s.enabled ? 'Turn off' : 'Turn on'}
                  </Button>
                  <Button variant="ghost" disabled={busy} aria-label={`Delete schedule ${s.cron}`} onClick={() => run(() => api.deleteSchedule(projectId, s.id))}>
                    Delete
                  </Button>
                </span>
              </li>
            ))}
          </ul>
        )}
        <form
          className="grid gap-3 sm:grid-cols-3"
          onSubmit={async (event) => {
            event.preventDefault();
            if (await run(() => api.createSchedule(projectId, draft))) setDraft(EMPTY);
          }}
        >
          <Field label="When (cron with seconds)" error={errorFor('cron')} hint={`second minute hour day month weekday, in ${timezone}`}>
            {(p) => <input {...p} value={draft.cron} autoCapitalize="none" onChange={(e) => setDraft({ ...draft, cron: e.target.value })} />}
          </Field>
          <Field label="Action" error={errorFor('action')}>
            {(p) => (
              <select {...p} value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value as ScheduleAction })}>
                <option value="start">Start</option>
                <option value="resume">Resume if paused</option>
              </select>
            )}
          </Field>
          <Field label="Pause after (minutes)" error={errorFor('max_run_minutes')} hint="empty: no limit">
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                value={draft.max_run_minutes ?? ''}
                onChange={(e) => setDraft({ ...draft, max_run_minutes: e.target.value.trim() ? Number(e.target.value) : null })}
              />
            )}
          </Field>
          <Button type="submit" busy={busy} className="sm:col-span-3 sm:justify-self-end">
            Add schedule
          </Button>
        </form>
      </div>
    </Card>
  );
}
