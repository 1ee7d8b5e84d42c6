// The new-project form: the goal is required, the plan optional (the controller drafts one).
import type { Errors } from '../forms';
import type { NewProject, PlanStepInput, PushMode } from '../types';

export interface PlanRow {
  title: string;
  details: string;
}

export interface ProjectForm {
  name: string;
  description: string;
  architecture: string;
  plan: PlanRow[];
  /** Optional: a repository to clone, and when to push the project's branch back to it. */
  repo_url?: string;
  push?: PushMode;
}

export type ProjectField = 'name' | 'description' | 'architecture' | 'repo_url' | `plan.${number}`;

export function validatePlan(plan: PlanRow[]): Errors<`plan.${number}`> {
  const errors: Errors<`plan.${number}`> = {};
  plan.forEach((step, i) => {
    if (!step.title.trim() && step.details.trim()) errors[`plan.${i}`] = `Step ${i + 1} needs a title.`;
    else if (step.title.trim().length > 200) errors[`plan.${i}`] = `Step ${i + 1}: keep the title under 200 characters.`;
  });
  return errors;
}

export function validateProjectForm(form: ProjectForm): Errors<ProjectField> {
  const errors: Errors<ProjectField> = { ...validatePlan(form.plan) };
  if (!form.name.trim()) errors.name = 'Give the project a name.';
  else if (form.name.trim().length > 100) errors.name = 'At most 100 characters.';
  if (!form.description.trim()) errors.description = 'Describe the goal: what should exist when it is done?';
  const repo = form.repo_url?.trim() ?? '';
  if (repo && !/^https?:\/\//.test(repo)) errors.repo_url = 'Give the repository\'s https:// address.';
  return errors;
}

/** Steps with a title only; blank rows left at the end of the editor are ignored. */
export function planToInput(plan: PlanRow[]): PlanStepInput[] {
  return plan.filter((step) => step.title.trim()).map((step) => ({ title: step.title.trim(), details: step.details.trim() }));
}

export function formToNewProject(form: ProjectForm): NewProject {
  const body: NewProject = { name: form.name.trim(), description: form.description.trim() };
  if (form.architecture.trim()) body.architecture = form.architecture.trim();
  const plan = planToInput(form.plan);
  if (plan.length) body.implementation_plan = plan;
  const repo = form.repo_url?.trim();
  if (repo) {
    body.repo_url = repo;
    if (form.push && form.push !== 'off') body.push = form.push;
  }
  return body;
}
