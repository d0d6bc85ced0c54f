// Headers in wire order with their names as sent and duplicates kept.

import type { HeaderList } from '../../../model/types.ts';

export function HeadersTable({ title, headers }: { title: string; headers: HeaderList | null }) {
  return (
    <section class="card">
      <h3>{title}</h3>
      {headers === null ? (
        <p class="empty-note">No response was received.</p>
      ) : headers.length === 0 ? (
        <p class="empty-note">No headers.</p>
      ) : (
        <table class="kv-table headers">
          <tbody>
            {headers.map(([name, value], i) => (
              <tr key={i}>
                <th scope="row">{name}</th>
                <td>{/^authorization$/i.test(name) ? <TokenValue value={value} /> : value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A long bearer token wraps badly; show it whole but breakable. */
function TokenValue({ value }: { value: string }) {
  return <span class="break-all">{value}</span>;
}
