// The keyboard shortcut sheet, opened with "?".

import { shortcuts } from '../model/shortcuts.ts';

/** `canResend`: r is listed only where the server can resend. */
export function Shortcuts({ canResend, onClose }: { canResend: boolean; onClose: () => void }) {
  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog" role="dialog" aria-label="Keyboard shortcuts" onClick={(event) => event.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table class="kv-table">
          <tbody>
            {shortcuts.filter(({ action }) => canResend || action !== 'resend').map(({ shown, what }) => (
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
