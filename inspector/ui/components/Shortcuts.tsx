// The keyboard shortcut sheet, opened with "?".

import { shortcuts } from '../model/shortcuts.ts';

/** `withProxy`: the keys that need the running proxy (r, b) are listed only where it runs. */
export function Shortcuts({ withProxy, onClose }: { withProxy: boolean; onClose: () => void }) {
  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog" role="dialog" aria-label="Keyboard shortcuts" onClick={(event) => event.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table class="kv-table">
          <tbody>
            {shortcuts.filter((shortcut) => withProxy || !shortcut.withProxy).map(({ shown, what }) => (
              <tr key={what}>
                <th scope="row">
                  {shown.map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
