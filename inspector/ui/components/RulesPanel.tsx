// The Rules panel: the rules the proxy runs (proxy --rules FILE, and breakpoints armed
// in the inspector), each with where it acts, what it matches, how often it has acted
// and its last error, and a switch that turns it on or off in the running set; one
// added in the inspector can be removed. Hit counts move as traffic flows.

import { pointMeaning } from '../model/rules-panel.ts';
import type { Rules } from './use-rules.ts';

export function RulesPanel({ rules, onClose }: { rules: Rules; onClose: () => void }) {
  const { list } = rules;
  return (
    <div class="overlay" onClick={onClose}>
      <div class="dialog rules-panel" role="dialog" aria-label="Rules" onClick={(event) => event.stopPropagation()}>
        <h2>Rules</h2>
        {rules.error ? <div class="banner error">{rules.error}</div> : null}
        {list === null ? (
          <p class="empty-note">Asking the proxy for its rules…</p>
        ) : list.length === 0 ? (
          <p class="empty-note">
            No rules are loaded. Start the proxy with <code>--rules FILE</code> to change traffic in flight (see Rules in the README), or arm a breakpoint with Break
            on….
          </p>
        ) : (
          <>
            <table class="rules-table">
              <thead>
                <tr>
                  <th scope="col">on</th>
                  <th scope="col">rule</th>
                  <th scope="col">at</th>
                  <th scope="col">match</th>
                  <th scope="col" class="num">hits</th>
                  <th scope="col" aria-label="remove" />
                </tr>
              </thead>
              <tbody>
                {list.map((rule) => (
                  <tr key={rule.name} data-rule={rule.name} class={rule.enabled ? '' : 'off'}>
                    <td>
                      <button
                        class={`toggle rule-switch${rule.enabled ? ' on' : ''}`}
                        role="switch"
                        aria-checked={rule.enabled}
                        aria-label={`${rule.name}: ${rule.enabled ? 'on' : 'off'}`}
                        title={rule.enabled ? 'Switch it off in the running set' : 'Switch it on in the running set'}
                        onClick={() => rules.setEnabled(rule.name, !rule.enabled)}
                      >
                        {rule.enabled ? 'on' : 'off'}
                      </button>
                    </td>
                    <td>
                      <span class="rule-name">{rule.name}</span>
                      {rule.error ? <div class="rule-error">{rule.error}</div> : null}
                    </td>
                    <td title={pointMeaning[rule.at]}>
                      <code>{rule.at}</code>
                    </td>
                    <td>{rule.match ? <code>{rule.match}</code> : <span class="muted">every message</span>}</td>
                    <td class="num rule-hits">{rule.hits.toLocaleString('en')}</td>
                    <td>
                      {rule.added ? (
                        <button class="icon-button rule-remove" aria-label={`Remove ${rule.name}`} title="Added in the inspector: remove it from the running rules" onClick={() => rules.remove(rule.name)}>
                          ×
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted hint">A switch changes the running rules, not the file. Rules added in the inspector (Break on…, key b) last until the proxy stops, or × removes them.</p>
          </>
        )}
      </div>
    </div>
  );
}
