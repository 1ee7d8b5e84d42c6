import type { Errors } from '../forms';
import { Button, Card, Field } from '../ui/controls';
import type { AgentField, McpRow } from './agentForm';

/** Rows of MCP servers (name, command, arguments, environment) for the Agent Builder. */
export function McpEditor({ rows, errors, onChange }: { rows: McpRow[]; errors: Errors<AgentField>; onChange: (rows: McpRow[]) => void }) {
  const update = (i: number, patch: Partial<McpRow>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  return (
    <Card
      title="MCP servers"
      actions={
        <Button variant="secondary" onClick={() => onChange([...rows, { name: '', command: '', args: '', env: '' }])}>
          + Add server
        </Button>
      }
    >
      {rows.length === 0 && <p className="text-sm text-slate-400">None. Claude Code runs with its built-in tools only.</p>}
      <ul className="flex flex-col gap-3">
        {rows.map((row, i) => (
          <li key={i} className="rounded-lg border border-slate-800 p-3">
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label={`Server ${i + 1} name`} error={errors[`mcp.${i}`]}>
                {(p) => <input {...p} autoCapitalize="none" value={row.name} onChange={(e) => update(i, { name: e.target.value })} />}
              </Field>
              <Field label={`Server ${i + 1} command`}>
                {(p) => <input {...p} autoCapitalize="none" value={row.command} onChange={(e) => update(i, { command: e.target.value })} />}
              </Field>
              <Field label={`Server ${i + 1} arguments`} hint="One per line.">
                {(p) => <textarea {...p} rows={2} className={`${p.className} font-mono text-sm`} value={row.args} onChange={(e) => update(i, { args: e.target.value })} />}
              </Field>
              <Field label={`Server ${i + 1} environment`} hint="NAME=value, one per line.">
                {(p) => <textarea {...p} rows={2} className={`${p.className} font-mono text-sm`} value={row.env} onChange={(e) => update(i, { env: e.target.value })} />}
              </Field>
            </div>
            <div className="mt-2 flex justify-end">
              <Button variant="ghost" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                Remove server {i + 1}
              </Button>
            </div>
          </li>
        ))}
      </ul>
    </Card>
  );
}
