import { describe, expect, it } from 'vitest';
import { highlight, languageOf } from './highlight';

const kinds = (code: string, lang: string | null) => highlight(code, lang).filter((t) => t.kind !== 'plain').map((t) => `${t.kind}:${t.text}`);

describe('highlight', () => {
  it('finds the language from the file name', () => {
    expect(languageOf('src/main.rs')).toBe('rust');
    expect(languageOf('web/App.tsx')).toBe('js');
    expect(languageOf('Makefile')).toBe('shell');
    expect(languageOf('README.md')).toBeNull();
  });

  it('colours Rust keywords, strings, numbers and comments, and not lifetimes as strings', () => {
    expect(kinds(`fn f<'a>(x: &'a str) -> u8 { let n = 42; "hi" } // done`, 'rust')).toEqual([
      'keyword:fn',
      'keyword:let',
      'number:42',
      'string:"hi"',
      'comment:// done',
    ]);
  });

  it('keeps every character, in order', () => {
    const line = `const s = 'it\\'s'; /* note */ if (x) return 0x1F;`;
    expect(highlight(line, 'js').map((t) => t.text).join('')).toBe(line);
    expect(kinds(line, 'js')).toEqual(['keyword:const', "string:'it\\'s'", 'comment:/* note */', 'keyword:if', 'keyword:return', 'number:0x1F']);
  });

  it('shows unknown languages as plain text', () => {
    expect(highlight('# Title with fn and 42', null)).toEqual([{ kind: 'plain', text: '# Title with fn and 42' }]);
  });

  it('treats a shell # inside a word as text', () => {
    expect(kinds('echo a#b # note', 'shell')).toEqual(['keyword:echo', 'comment:# note']);
  });
});
