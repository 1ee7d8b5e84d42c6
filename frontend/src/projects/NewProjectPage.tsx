import { useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError, describeError, sentence } from '../api';
import { useAgents } from '../agents/AgentsContext';
import { hasErrors, type Errors } from '../forms';
import { Button, Card, ErrorMessage, Field, PageHeader } from '../ui/controls';
import type { PushMode } from '../types';
import { PlanRowsEditor } from './PlanRowsEditor';
import { formToNewProject, validateProjectForm, type ProjectField, type ProjectForm } from './projectForm';

export function NewProjectPage() {
  const agentId = Number(useParams().id);
  const navigate = useNavigate();
  const agents = useAgents();
  const agent = agents.data?.find((a) => a.id === agentId);
  const [form, setForm] = useState<ProjectForm>({ name: '', description: '', architecture: '', plan: [] });
  const [errors, setErrors] = useState<Errors<ProjectField>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = validateProjectForm(form);
    setErrors(next);
    if (hasErrors(next)) return;
    setBusy(true);
    setError(null);
    try {
      const project = await api.createProject(agentId, formToNewProject(form));
      void agents.reload();
      navigate(`/projects/${project.id}`);
    } catch (e) {
      setError(describeError(e));
      if (e instanceof ApiError && e.field && ['name', 'description', 'architecture', 'repo_url'].includes(e.field)) {
        setErrors({ [e.field]: e.detail?.reason ? sentence(e.detail.reason) : e.message });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4">
      <PageHeader title="New project" subtitle={agent ? `For ${agent.name}` : undefined} />
      <ErrorMessage>{error}</ErrorMessage>
      <Card>
        <div className="flex flex-col gap-4">
          <Field label="Name" error={errors.name}>
            {(p) => <input {...p} name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
          </Field>
          <Field label="Goal" error={errors.description} hint="What should exist when the project is done.">
            {(p) => <textarea {...p} name="description" rows={5} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />}
          </Field>
          <Field label="Architecture (optional)" error={errors.architecture} hint="Languages, structure, constraints.">
            {(p) => <textarea {...p} name="architecture" rows={4} value={form.architecture} onChange={(e) => setForm({ ...form, architecture: e.target.value })} />}
          </Field>
        </div>
      </Card>
      <Card title="Repository (optional)">
        <div className="flex flex-col gap-4">
          <Field label="Clone from" error={errors.repo_url} hint="An https:// address; a private one uses the git token from Settings.">
            {(p) => (
              <input {...p} name="repo_url" inputMode="url" placeholder="https://github.com/you/app.git" value={form.repo_url ?? ''} onChange={(e) => setForm({ ...form, repo_url: e.target.value })} />
            )}
          </Field>
          <Field label="Push the branch back" hint="On GitHub, a pull request is opened when the project completes.">
            {(p) => (
              <select {...p} name="push" value={form.push ?? 'off'} disabled={!form.repo_url?.trim()} onChange={(e) => setForm({ ...form, push: e.target.value as PushMode })}>
                <option value="off">No</option>
                <option value="each_step">After each step</option>
                <option value="at_completion">When the project completes</option>
              </select>
            )}
          </Field>
        </div>
      </Card>
      <Card title="Implementation plan (optional)">
        <p className="mb-3 text-sm text-slate-400">Leave it empty and the agent drafts the steps when the project starts.</p>
        <PlanRowsEditor rows={form.plan} errors={errors} onChange={(plan) => setForm({ ...form, plan })} />
      </Card>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => navigate(-1)}>
          Cancel
        </Button>
        <Button type="submit" busy={busy}>
          Create project
        </Button>
      </div>
    </form>
  );
}
