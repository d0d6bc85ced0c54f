// The decoded message as JSON in a text box, checked as you type: Edit and resend and the
// Paused panel both edit with it. Whether the text is a JSON object shows at once; whether
// it fits the schema shows a moment later, from the server encoding it as sending it would
// (use-schema-check.ts), and names each field that does not fit.

import { editorStatus, type Edited, type SchemaCheck } from '../model/replay.ts';

interface MessageEditorProps {
  label: string;
  text: string;
  /** The text as parsed (model/replay.ts parseEdited). */
  edited: Edited;
  /** The schema check of the parsed text (use-schema-check.ts); null when nothing is checked. */
  check: SchemaCheck | null;
  onInput: (text: string) => void;
  rows?: number;
}

export function MessageEditor({ label, text, edited, check, onInput, rows = 16 }: MessageEditorProps) {
  const status = editorStatus(edited, check);
  const wrong = status?.state === 'syntax' || status?.state === 'unfit';
  return (
    <>
      <label class="replay-field">
        <span>{label}</span>
        <textarea
          class={`replay-json${wrong ? ' invalid' : ''}`}
          spellcheck={false}
          rows={rows}
          value={text}
          aria-invalid={wrong}
          onInput={(event) => onInput((event.target as HTMLTextAreaElement).value)}
        />
      </label>
      {status ? (
        <p class={wrong ? 'replay-invalid' : 'replay-check'} data-check={status.state} role="status">
          {status.text}
        </p>
      ) : null}
    </>
  );
}
