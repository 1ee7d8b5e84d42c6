// A deliberately small syntax highlighter for the diff viewer: a file's language comes from its
// name, and each line is cut into comments, strings, numbers, keywords and plain text by one
// regular expression per language family. Lines are read one at a time (a diff shows fragments,
// so a comment or string opened on an earlier line is not known): good colours for the common
// case at a few hundred bytes, rather than a grammar library for every language.

export type TokenKind = 'plain' | 'keyword' | 'string' | 'comment' | 'number';
export interface Token {
  kind: TokenKind;
  text: string;
}

interface Language {
  comment: string;
  string: string;
  keywords: string[];
}

const DQ = String.raw`"(?:[^"\\]|\\.)*"?`;
const SQ = String.raw`'(?:[^'\\]|\\.)*'`;
const C_COMMENT = String.raw`\/\/.*|\/\*.*?(?:\*\/|$)`;
const HASH_COMMENT = String.raw`#.*`;

const C_LIKE = ['if', 'else', 'for', 'while', 'do', 'return', 'break', 'continue', 'switch', 'case', 'default', 'true', 'false', 'null', 'new', 'class', 'struct', 'enum', 'const', 'static', 'void', 'int', 'char', 'public', 'private', 'protected', 'import', 'package', 'try', 'catch', 'throw', 'this'];

const LANGUAGES: Record<string, Language> = {
  rust: {
    comment: C_COMMENT,
    // A char literal only: a lifetime ('a) is not the start of a string.
    string: `${DQ}|'(?:\\\\.|[^\\\\'])'`,
    keywords: ['as', 'async', 'await', 'break', 'const', 'continue', 'crate', 'dyn', 'else', 'enum', 'false', 'fn', 'for', 'if', 'impl', 'in', 'let', 'loop', 'match', 'mod', 'move', 'mut', 'pub', 'ref', 'return', 'self', 'Self', 'static', 'struct', 'super', 'trait', 'true', 'type', 'unsafe', 'use', 'where', 'while', 'Some', 'None', 'Ok', 'Err'],
  },
  js: {
    comment: C_COMMENT,
    string: `${DQ}|${SQ}|\`(?:[^\`\\\\]|\\\\.)*\`?`,
    keywords: ['async', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'default', 'delete', 'do', 'else', 'export', 'extends', 'false', 'finally', 'for', 'from', 'function', 'if', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null', 'of', 'return', 'switch', 'this', 'throw', 'true', 'try', 'type', 'typeof', 'undefined', 'var', 'void', 'while', 'yield'],
  },
  python: {
    comment: HASH_COMMENT,
    string: `${DQ}|${SQ}`,
    keywords: ['and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'False', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'None', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'self', 'True', 'try', 'while', 'with', 'yield'],
  },
  go: {
    comment: C_COMMENT,
    string: `${DQ}|\`[^\`]*\`?|${SQ}`,
    keywords: ['break', 'case', 'chan', 'const', 'continue', 'default', 'defer', 'else', 'false', 'for', 'func', 'go', 'if', 'import', 'interface', 'map', 'nil', 'package', 'range', 'return', 'select', 'struct', 'switch', 'true', 'type', 'var'],
  },
  c: { comment: C_COMMENT, string: `${DQ}|${SQ}`, keywords: [...C_LIKE, 'include', 'define', 'typedef', 'unsigned', 'sizeof', 'auto', 'namespace', 'template', 'final', 'extends', 'implements', 'fun', 'val', 'var'] },
  shell: {
    comment: String.raw`(?:^|(?<=\s))#.*`,
    string: `${DQ}|'[^']*'?`,
    keywords: ['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'do', 'done', 'case', 'esac', 'in', 'function', 'return', 'export', 'local', 'set', 'echo', 'exit'],
  },
  css: { comment: String.raw`\/\*.*?(?:\*\/|$)`, string: `${DQ}|${SQ}`, keywords: ['important', 'media', 'import', 'from', 'to'] },
  config: { comment: HASH_COMMENT, string: `${DQ}|${SQ}`, keywords: ['true', 'false', 'null', 'yes', 'no'] },
  json: { comment: '(?!)', string: DQ, keywords: ['true', 'false', 'null'] },
  sql: { comment: '--.*', string: SQ, keywords: ['select', 'from', 'where', 'insert', 'into', 'values', 'update', 'set', 'delete', 'create', 'table', 'index', 'on', 'and', 'or', 'not', 'null', 'primary', 'key', 'references', 'join', 'order', 'by', 'group', 'as', 'integer', 'text', 'default'] },
};

const EXTENSIONS: Record<string, string> = {
  rs: 'rust', js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', tsx: 'js', mts: 'js',
  py: 'python', go: 'go', c: 'c', h: 'c', cc: 'c', cpp: 'c', hpp: 'c', java: 'c', kt: 'c', cs: 'c', swift: 'c',
  sh: 'shell', bash: 'shell', zsh: 'shell', css: 'css', scss: 'css', toml: 'config', yaml: 'config', yml: 'config',
  ini: 'config', json: 'json', sql: 'sql', rb: 'config', dockerfile: 'shell', makefile: 'shell',
};

/** The language family of a path, or null for text shown without colours (Markdown, HTML, ...). */
export function languageOf(path: string): string | null {
  const name = path.split('/').pop()?.toLowerCase() ?? '';
  const ext = name.includes('.') ? name.split('.').pop() ?? '' : name;
  return EXTENSIONS[ext] ?? null;
}

const compiled = new Map<string, RegExp>();

function patternOf(lang: string): RegExp | null {
  const l = LANGUAGES[lang];
  if (!l) return null;
  let re = compiled.get(lang);
  if (!re) {
    const flags = lang === 'sql' ? 'gi' : 'g';
    const number = String.raw`\b(?:0x[0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\b`;
    const keywords = String.raw`\b(?:${l.keywords.join('|')})\b`;
    re = new RegExp(`(${l.comment})|(${l.string})|(${number})|(${keywords})`, flags);
    compiled.set(lang, re);
  }
  return re;
}

/** Cuts one line of code into coloured tokens; plain text when the language is unknown. */
export function highlight(code: string, lang: string | null): Token[] {
  const re = lang ? patternOf(lang) : null;
  if (!re || !code) return [{ kind: 'plain', text: code }];
  const out: Token[] = [];
  let at = 0;
  re.lastIndex = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (m[0] === '') {
      re.lastIndex += 1;
      continue;
    }
    if (m.index > at) out.push({ kind: 'plain', text: code.slice(at, m.index) });
    const kind: TokenKind = m[1] !== undefined ? 'comment' : m[2] !== undefined ? 'string' : m[3] !== undefined ? 'number' : 'keyword';
    out.push({ kind, text: m[0] });
    at = m.index + m[0].length;
  }
  if (at < code.length) out.push({ kind: 'plain', text: code.slice(at) });
  return out;
}
