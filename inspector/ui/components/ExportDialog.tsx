// Export: the current filter or the selected exchange, as HAR or a capture. The preview
// says first what will be redacted (how many tokens, in which fields), then the download.

import { useEffect, useState } from 'preact/hooks';
import type { ExportPreview, ExportSelection } from '../../../model/types.ts';
import type { Api } from '../services/api.ts';

interface ExportDialogProps {
  api: Api;
  filter: string;
  selectedId: number | null;
  onClose: () => void;
}

export function ExportDialog({ api, filter, selectedId, onClose }: ExportDialogProps) {
  const [scope, setScope] = useState<'filter' | 'selected'>(selectedId === null ? 'filter' : 'selected');
  const [format, setFormat] = useState<'har' | 'capture'>('har');
  const [preview, setPreview] = useState<ExportPreview | string | null>(null);
  const selection: ExportSelection = scope === 'selected' && selectedId !== null ? { ids: [selectedId] } : { filter };

  useEffect(() => {
    const abort = new AbortController();
    setPreview(null);
    api.exportPreview(selection, abort.signal).then(setPreview, (err: Error) => {
      if (err.name !== 'AbortError') setPreview(err.message);
    });
    return () => abort.abort();
  }, [scope, filter, selectedId]);

  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog export-dialog" role="dialog" aria-label="Export" onClick={(event) => event.stopPropagation()}>
        <h2>Export</h2>
        <fieldset>
          <label>
            <input type="radio" name="scope" checked={scope === 'filter'} onChange={() => setScope('filter')} />
            {filter.trim() ? <>the exchanges matching <code>{filter.trim()}</code></> : 'every exchange'}
          </label>
          <label>
            <input type="radio" name="scope" checked={scope === 'selected'} disabled={selectedId === null} onChange={() => setScope('selected')} />
            the selected exchange
          </label>
        </fieldset>
        <fieldset>
          <label>
            <input type="radio" name="format" checked={format === 'har'} onChange={() => setFormat('har')} />
            HAR (opens in Chrome DevTools and HTTP Toolkit)
          </label>
          <label>
            <input type="radio" name="format" checked={format === 'capture'} onChange={() => setFormat('capture')} />
            capture (opens in ca2-inspector, with the schema)
          </label>
        </fieldset>
        <p class="export-preview" aria-live="polite">{previewText(preview)}</p>
        <div class="dialog-actions">
          <button class="button" onClick={onClose}>Cancel</button>
          {typeof preview === 'object' && preview !== null && preview.exchanges > 0 ? (
            <a class="button primary" href={api.exportUrl(selection, format)} download onClick={onClose}>
              Download
            </a>
          ) : null}
        </div>
      </div>
    </div>
  );
}

function previewText(preview: ExportPreview | string | null): string {
  if (preview === null) return 'Looking at what will be exported…';
  if (typeof preview === 'string') return preview;
  if (preview.exchanges === 0) return 'Nothing to export: no exchange matches.';
  const what = `${preview.exchanges} exchange${preview.exchanges === 1 ? '' : 's'}`;
  if (preview.tokens === 0) return `${what}; no token found to redact.`;
  const where = Object.entries(preview.fields).map(([field, n]) => `${field} (${n})`).join(', ');
  return `${what}; ${preview.tokens} token${preview.tokens === 1 ? '' : 's'} will be redacted, in ${where}.`;
}
