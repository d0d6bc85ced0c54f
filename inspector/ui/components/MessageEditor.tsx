// The decoded message as JSON in a text box, checked as you type: Edit and resend and the
// Paused panel both edit with it. The server encodes the JSON with the loaded schema, so
// a field that does not fit is named in its refusal.

import type { Edited } from '../model/replay.ts';

interface MessageEditorProps {
  label: string;
  text: string;
  /** The text as parsed (model/replay.ts parseEdited): a problem shows under the box. */
  edited: Edited;
  onInput: (text: string) => void;
  rows?: number;
}

export function MessageEditor({ label, text, edited, onInput, rows = 16 }: MessageEditorProps) {
  return (
    <>
      <label class="replay-field">
        <span>{label}</span>
        <textarea
          class={`replay-json${edited.ok ? '' : ' invalid'}`}
          spellcheck={false}
          rows={rows}
          value={text}
          onInput={(event) => onInput((event.target as HTMLTextAreaElement).value)}
        />
      </label>
      {edited.ok ? null : (
        <p class="replay-invalid" role="status">
          {edited.error}
        </p>
      )}
    </>
  );
}
