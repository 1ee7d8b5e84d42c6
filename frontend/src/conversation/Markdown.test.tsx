import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ConversationEntry } from '../types';
import { ConversationView } from './ConversationPanel';
import { Markdown, parseBlocks, safeHref } from './Markdown';

describe('Markdown', () => {
  it('renders script tags and raw HTML as text, never as elements', () => {
    const hostile = '<script>window.pwned = 1</script>\n\n<img src=x onerror="window.pwned=2"> **<b>bold</b>**\n\n```\n<script>alert(1)</script>\n```';
    const { container } = render(<Markdown text={hostile} />);
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toContain('<script>window.pwned = 1</script>');
    expect(container.textContent).toContain('<img src=x onerror="window.pwned=2">');
    expect(container.querySelector('strong')?.textContent).toBe('<b>bold</b>');
    expect(container.querySelector('pre')?.textContent).toBe('<script>alert(1)</script>');
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });

  it('keeps only http(s) and mailto links', () => {
    const { container } = render(<Markdown text={'[docs](https://example.org/a) and [bad](javascript:alert(1)) and [data](data:text/html,x)'} />);
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute('href')).toBe('https://example.org/a');
    expect(links[0].getAttribute('rel')).toContain('noopener');
    expect(container.textContent).toContain('[bad](javascript:alert(1))');
    expect(safeHref('JAVASCRIPT:alert(1)')).toBeNull();
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
  });

  it('renders what Claude writes: headings, lists, code, emphasis', () => {
    const text = '## Plan\n\nI will **run** a `command`:\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n---\n\n```rust\nfn main() {}\n```';
    expect(parseBlocks(text).map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'list', 'quote', 'rule', 'code']);
    render(<Markdown text={text} />);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Plan');
    expect(screen.getByText('run').tagName).toBe('STRONG');
    expect(screen.getByText('command').tagName).toBe('CODE');
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['one', 'two', 'first', 'second']);
    expect(screen.getByText('fn main() {}').tagName).toBe('PRE');
  });
});

describe('ConversationView', () => {
  const entries: ConversationEntry[] = [
    { id: '1', timestamp: null, kind: 'prompt', text: 'Step 1: write hello.txt' },
    { id: '2', timestamp: null, kind: 'tool_use', tool_use_id: 't1', name: 'Bash', input: { command: 'echo hi' } },
    { id: '3', timestamp: null, kind: 'tool_result', tool_use_id: 't1', output: 'hi', is_error: false },
    { id: '4', timestamp: null, kind: 'tool_use', tool_use_id: 't2', name: 'Write', input: { file_path: '/w/hello.txt', content: 'hello\n' } },
    {
      id: '5',
      timestamp: null,
      kind: 'tool_result',
      tool_use_id: 't2',
      output: 'File created',
      is_error: false,
      file_path: '/w/hello.txt',
      patch: '@@ -0,0 +1,1 @@\n+hello\n',
    },
    { id: '6', timestamp: null, kind: 'text', text: 'Done <script>x</script>' },
  ];

  it('shows each tool call as a card with its result, and file changes as a diff', () => {
    const { container } = render(<ConversationView entries={entries} />);
    const cards = screen.getAllByTestId('tool-card');
    expect(cards.map((c) => c.dataset.tool)).toEqual(['Bash', 'Write']);
    expect(cards[0].textContent).toContain('$ echo hi');
    expect(cards[0].textContent).toContain('hi');
    expect(screen.getByText('/w/hello.txt')).toBeTruthy();
    expect(screen.getByTestId('patch').textContent).toContain('+hello');
    expect(screen.queryByText('File created')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByText('Step 1: write hello.txt')).toBeTruthy();
  });

  it('folds a long output behind "Show all"', () => {
    const output = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    render(<ConversationView entries={[entries[1], { ...entries[2], output } as ConversationEntry]} />);
    expect(screen.getByText('Show all 40 lines', { exact: false })).toBeTruthy();
  });
});
