import { useState } from 'react';
import { api, describeError } from '../api';
import type { Project, ProjectAction } from '../types';
import { Button, ErrorMessage } from '../ui/controls';
import { allowedActions } from './status';

const LABELS: Record<ProjectAction, string> = { start: 'Start', stop: 'Stop', restart: 'Restart', pause: 'Pause', resume: 'Resume' };

/** Start / Stop / Restart / Pause / Resume, offering only what the project's state allows. */
export function ProjectControls({ project, onChange }: { project: Project; onChange: (p: Project) => void }) {
  const [busy, setBusy] = useState<ProjectAction | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(action: ProjectAction) {
    setBusy(action);
    setError(null);
    try {
      onChange(await api.projectAction(project.id, action));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap gap-2">
        {allowedActions(project.status, project.controller_running ?? false).map((action) => (
          <Button
            key={action}
            variant={action === 'stop' ? 'danger' : action === 'start' || action === 'resume' ? 'primary' : 'secondary'}
            busy={busy === action}
            disabled={busy !== null}
            onClick={() => run(action)}
          >
            {LABELS[action]}
          </Button>
        ))}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}
