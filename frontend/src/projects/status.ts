// How project states are ordered and worded: what needs a person comes first, finished work last.
import type { Project, ProjectAction, ProjectStatus } from '../types';

const ORDER: Record<ProjectStatus, number> = {
  needs_help: 0,
  failed: 1,
  running: 2,
  planning: 3,
  paused: 4,
  created: 5,
  completed: 6,
};

export const STATUS_LABELS: Record<ProjectStatus, string> = {
  needs_help: 'Needs help',
  failed: 'Failed',
  running: 'Running',
  planning: 'Planning',
  paused: 'Paused',
  created: 'Not started',
  completed: 'Completed',
};

export const STATUS_STYLES: Record<ProjectStatus, string> = {
  needs_help: 'bg-amber-400 text-amber-950',
  failed: 'bg-rose-500 text-white',
  running: 'bg-sky-500 text-sky-950',
  planning: 'bg-indigo-400 text-indigo-950',
  paused: 'bg-slate-400 text-slate-950',
  created: 'bg-slate-700 text-slate-100',
  completed: 'bg-emerald-500 text-emerald-950',
};

/** Needs help first, then failed, running, planning, paused, not started, completed; newest first within each. */
export function sortByAttention(projects: readonly Project[]): Project[] {
  return [...projects].sort(
    (a, b) => ORDER[a.status] - ORDER[b.status] || b.updated_at.localeCompare(a.updated_at) || b.id - a.id,
  );
}

/** The step a running project is on, in words ("Step 2 of 5: Write the parser"). */
export function activeStep(project: Project): string | null {
  const index = project.current_step;
  if (index === null || index < 0 || index >= project.implementation_plan.length) return null;
  const step = project.implementation_plan[index];
  return `Step ${index + 1} of ${project.implementation_plan.length}: ${step.title}`;
}

export function isActive(status: ProjectStatus): boolean {
  return status === 'running' || status === 'planning' || status === 'needs_help' || status === 'paused';
}

/**
 * What a person may press for a project in this state (mirrors the server's 409 rules: a
 * completed project is restarted after its plan gets new work; stopping leaves it paused with no
 * controller, and resuming then starts one again).
 */
export function allowedActions(status: ProjectStatus, controllerRunning: boolean): ProjectAction[] {
  switch (status) {
    case 'created':
      return ['start'];
    case 'failed':
      return ['start', 'restart'];
    case 'completed':
      return ['restart'];
    case 'planning':
    case 'running':
      return ['pause', 'stop', 'restart'];
    case 'needs_help':
      return ['stop', 'restart'];
    case 'paused':
      return controllerRunning ? ['resume', 'stop', 'restart'] : ['resume', 'restart'];
  }
}
