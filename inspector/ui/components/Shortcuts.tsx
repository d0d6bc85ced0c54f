// The keyboard shortcut sheet, opened with "?".

const shortcuts: [keys: string[], what: string][] = [
  [['j', '↓'], 'select the next (older) exchange'],
  [['k', '↑'], 'select the previous (newer) exchange'],
  [['Enter'], 'open the selected exchange'],
  [['Esc'], 'close the timeline or detail, then clear the selection'],
  [['/'], 'focus the filter box (Tab completes, Enter applies)'],
  [['l', '→'], 'expand a WebSocket row into its frames'],
  [['h', '←'], 'collapse it again'],
  [['g'], 'back to the live edge'],
  [['r'], 'resend the open exchange (new trx) and compare its answer'],
  [['?'], 'this help'],
];

/** `canResend`: r is listed only where the server can resend. */
export function Shortcuts({ canResend, onClose }: { canResend: boolean; onClose: () => void }) {
  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog" role="dialog" aria-label="Keyboard shortcuts" onClick={(event) => event.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table class="kv-table">
          <tbody>
            {shortcuts.filter(([keys]) => canResend || keys[0] !== 'r').map(([keys, what]) => (
              <tr key={what}>
                <th scope="row">
                  {keys.map((k) => (
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
