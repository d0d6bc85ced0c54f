// Export: the current filter or the selected exchange, as HAR or a capture. The preview
// says first what will be redacted (how many tokens, in which fields), then the download,
// whose progress the server tells on the live stream: the dialog stays open with it until
// the file is downloading, or says why the export failed.

import { useEffect, useState } from 'preact/hooks';
import type { ExportPreview, ExportSelection } from '../../../model/types.ts';
import { exportProgressText, notYetTold, watched, type ExportWatch } from '../model/export-progress.ts';
import type { Api } from '../services/api.ts';
import { showToast } from './Toast.tsx';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

interface ExportDialogProps {
  api: Api;
  stream: LiveStream;
  filter: string;
  selectedId: number | null;
  onClose: () => void;
}

/** A key for one download, to tell its progress from another tab's. */
function newKey(): string {
  return crypto.randomUUID();
}

export function ExportDialog({ api, stream, filter, selectedId, onClose }: ExportDialogProps) {
  const [scope, setScope] = useState<'filter' | 'selected'>(selectedId === null ? 'filter' : 'selected');
  const [format, setFormat] = useState<'har' | 'capture'>('har');
  const [preview, setPreview] = useState<ExportPreview | string | null>(null);
  const [key] = useState(newKey);
  /** The download under way, watched on the live stream; null before Download. */
  const [watch, setWatch] = useState<ExportWatch | null>(null);
  const selection: ExportSelection = scope === 'selected' && selectedId !== null ? { ids: [selectedId] } : { filter };

  useEffect(() => {
    const abort = new AbortController();
    setPreview(null);
    api.exportPreview(selection, abort.signal).then(setPreview, (err: Error) => {
      if (err.name !== 'AbortError') setPreview(err.message);
    });
    return () => abort.abort();
  }, [scope, filter, selectedId]);

  useLiveEvent(stream, 'exportProgress', (view) => {
    if (view.key !== key) return;
    const now = Date.now();
    setWatch((current) => current && watched(current, view, now));
    if (view.phase === 'done') {
      showToast(exportProgressText({ ...notYetTold, view }, now));
      onClose();
    }
  });

  const exporting = watch !== null && watch.view?.phase !== 'failed';
  const download = () => {
    // Without the live stream no progress can come: the download goes on in the browser alone.
    if (stream.status === 'live') setWatch(notYetTold);
    else onClose();
  };

  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog export-dialog" role="dialog" aria-label="Export" onClick={(event) => event.stopPropagation()}>
        <h2>Export</h2>
        <fieldset disabled={exporting}>
          <label>
            <input type="radio" name="scope" checked={scope === 'filter'} onChange={() => setScope('filter')} />
            {filter.trim() ? <>the exchanges matching <code>{filter.trim()}</code></> : 'every exchange'}
          </label>
          <label>
            <input type="radio" name="scope" checked={scope === 'selected'} disabled={selectedId === null} onChange={() => setScope('selected')} />
            the selected exchange
          </label>
        </fieldset>
        <fieldset disabled={exporting}>
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
        {watch === null ? null : (
          <div class="export-progress" aria-live="polite">
            <progress value={watch.view?.phase === 'writing' ? watch.view.done : 0} max={watch.view?.total || 1} />
            <p>{exportProgressText(watch, Date.now())}</p>
          </div>
        )}
        <div class="dialog-actions">
          <button class="button" onClick={onClose}>
            {exporting ? 'Close' : 'Cancel'}
          </button>
          {typeof preview === 'object' && preview !== null && preview.exchanges > 0 && !exporting ? (
            <a class="button primary" href={api.exportUrl(selection, format, stream.status === 'live' ? key : null)} download onClick={download}>
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
