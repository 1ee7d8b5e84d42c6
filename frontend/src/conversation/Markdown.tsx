// A small Markdown renderer for Claude's replies that builds React elements and never HTML
// strings: text reaches the page only as React text nodes, which React escapes, so a reply (or
// a repository file it quotes) cannot inject markup or script. Links keep only http(s) and
// mailto targets. It covers what Claude writes: paragraphs, headings, lists, quotes, fenced
// code, rules, and inline code, bold, italics and links. Anything else shows as plain text.
import type { ReactNode } from 'react';

export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'quote'; text: string }
  | { kind: 'rule' };

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/** Splits Markdown text into blocks. */
export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i += 1; // the closing fence (or the end)
      blocks.push({ kind: 'code', lang: fence[2], text: body.join('\n') });
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2] });
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i += 1;
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (list) {
      const items: string[] = [];
      while (i < lines.length && lines[i].trim()) {
        const item = list.exec(lines[i]);
        if (item) items.push(item[1]);
        else if (items.length) items[items.length - 1] += `\n${lines[i].trim()}`;
        i += 1;
      }
      blocks.push({ kind: 'list', ordered: list === NUMBERED, items });
      continue;
    }
    if (line.trimStart().startsWith('>')) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trimStart().startsWith('>')) body.push(lines[i++].trimStart().replace(/^>\s?/, ''));
      blocks.push({ kind: 'quote', text: body.join('\n') });
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && lines[i].trim() && !FENCE.test(lines[i]) && !HEADING.test(lines[i])) body.push(lines[i++]);
    blocks.push({ kind: 'paragraph', text: body.join('\n') });
  }
  return blocks;
}

const INLINE = /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b|\[([^\]]+)\]\(([^)\s]+)\)/;

/** A link target that is safe to follow: http(s) or mailto, nothing else (no javascript:, data:). */
export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Inline Markdown as React nodes; every piece of text is a text node. */
export function renderInline(text: string, key = 'i'): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let n = 0;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const k = `${key}.${n++}`;
    const [, code, bold1, bold2, em1, em2, label, url] = m;
    if (code !== undefined) {
      out.push(
        <code key={k} className="rounded bg-slate-800 px-1 font-mono text-[0.9em] text-amber-200">
          {code}
        </code>,
      );
    } else if (bold1 !== undefined || bold2 !== undefined) {
      out.push(<strong key={k}>{renderInline(bold1 ?? bold2, k)}</strong>);
    } else if (em1 !== undefined || em2 !== undefined) {
      out.push(<em key={k}>{renderInline(em1 ?? em2, k)}</em>);
    } else {
      const href = safeHref(url);
      out.push(
        href ? (
          <a key={k} href={href} target="_blank" rel="noopener noreferrer nofollow" className="text-sky-300 underline">
            {renderInline(label, k)}
          </a>
        ) : (
          m[0]
        ),
      );
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function lines(text: string, key: string): ReactNode[] {
  return text.split('\n').flatMap((line, i) => (i ? [<br key={`${key}br${i}`} />, ...renderInline(line, `${key}l${i}`)] : renderInline(line, `${key}l${i}`)));
}

const HEADING_CLASS = ['text-lg', 'text-base', 'text-base', 'text-sm', 'text-sm', 'text-sm'];

/** Renders Claude's reply. Long words and lines wrap: nothing scrolls sideways on a phone. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="flex min-w-0 flex-col gap-2 break-words text-sm leading-6 [overflow-wrap:anywhere]">
      {parseBlocks(text).map((block, i) => {
        const key = `b${i}`;
        switch (block.kind) {
          case 'heading':
            return (
              <p key={key} role="heading" aria-level={block.level} className={`font-bold text-white ${HEADING_CLASS[block.level - 1]}`}>
                {renderInline(block.text, key)}
              </p>
            );
          case 'paragraph':
            return <p key={key}>{lines(block.text, key)}</p>;
          case 'code':
            return (
              <pre key={key} className="whitespace-pre-wrap break-all rounded-lg bg-slate-950 p-2 font-mono text-xs text-slate-200">
                {block.text}
              </pre>
            );
          case 'list': {
            const items = block.items.map((item, j) => <li key={`${key}.${j}`}>{lines(item, `${key}.${j}`)}</li>);
            return block.ordered ? (
              <ol key={key} className="list-decimal pl-5">
                {items}
              </ol>
            ) : (
              <ul key={key} className="list-disc pl-5">
                {items}
              </ul>
            );
          }
          case 'quote':
            return (
              <blockquote key={key} className="border-l-2 border-slate-600 pl-3 text-slate-300">
                {lines(block.text, key)}
              </blockquote>
            );
          case 'rule':
            return <hr key={key} className="border-slate-700" />;
        }
      })}
    </div>
  );
}
