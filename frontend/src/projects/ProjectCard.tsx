import { Link } from 'react-router';
import type { Project } from '../types';
import { StatusBadge } from './StatusBadge';
import { activeStep } from './status';

export function ProjectCard({ project }: { project: Project }) {
  const step = activeStep(project);
  return (
    <li>
      <Link
        to={`/projects/${project.id}`}
        className={`block min-w-0 rounded-lg border px-3 py-3 hover:bg-slate-800/70 focus-visible:outline-2 focus-visible:outline-sky-300 ${
          project.status === 'needs_help' ? 'border-amber-400/70 bg-amber-400/5' : 'border-slate-800 bg-slate-900'
        }`}
      >
        <div className="flex items-start justify-between gap-2">
          <span className="min-w-0 break-words font-semibold text-white">{project.name}</span>
          <StatusBadge status={project.status} stopped={project.controller_running === false} />
        </div>
        {project.status === 'needs_help' && project.question && (
          <p className="mt-1 line-clamp-2 text-sm text-amber-200">Asks: {project.question}</p>
        )}
        {step && project.status !== 'completed' && <p className="mt-1 truncate text-sm text-slate-400">{step}</p>}
      </Link>
    </li>
  );
}
