// A line for typing into the pane from a phone during take-over. A soft keyboard composes words
// (Android's IME, predictive text, voice input) in this ordinary text box, which browsers handle
// well, and only the finished text is sent, once: Enter (not the Enter that ends a composition)
// sends it with Enter, "Type" sends it without. Typing straight into xterm.js stays for keyboards.
import { useRef, useState } from 'react';
import { Button } from '../ui/controls';

export function TypeLine({ onText, onEnter }: { onText: (text: string) => boolean; onEnter: () => boolean }) {
  const [value, setValue] = useState('');
  const composing = useRef(false);

  const send = (withEnter: boolean) => {
    if (composing.current) return;
    const typed = value === '' || onText(value);
    if (typed && (!withEnter || onEnter())) setValue('');
  };

  return (
    <div className="flex gap-2">
      <input
        aria-label="Type into the terminal"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={(e) => {
          composing.current = false;
          setValue(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          // The Enter that confirms a composition belongs to the keyboard, not to the pane.
          if (e.key !== 'Enter' || e.nativeEvent.isComposing || composing.current) return;
          e.preventDefault();
          send(true);
        }}
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        enterKeyHint="send"
        placeholder="Type, then Enter"
        className="min-w-0 grow rounded-lg border border-slate-700 bg-slate-900 px-3 py-2 font-mono text-base"
      />
      <Button type="button" variant="secondary" onClick={() => send(false)}>
        Type
      </Button>
    </div>
  );
}
