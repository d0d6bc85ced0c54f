// Breakpoints end to end in chromium: the real `ca2-inspector proxy --rules FILE` in front
// of a demo server, a rule that breaks on billing's balance response. The paused call
// shows in the Paused panel and its badge, is edited in the message editor and continued,
// and the client decodes the edit with protobufjs itself. Key b and Break on… arm
// breakpoints, which the Rules panel lists and removes; a paused request is answered in
// the upstream's place, one is aborted after a refused status, and a paused WebSocket
// frame lets a frame of the user's through before its connection is closed with a code.
// Browser test: run it under the shared lock. Screenshots go to test-artifacts/inspector/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { encodeMessage } from '../../demo/schema.ts';
import { buildUi } from '../../inspector/build.ts';
import type { PausedView } from '../../model/pauses.ts';
import type { RuleView } from '../../model/rules.ts';
import type { ExchangePage } from '../../model/types.ts';
import { tempDb } from '../replay/support.ts';
import { ClientRequest, ServerResponse, WsEvent } from '../intercept/exec-fixtures.ts';
import { eventually, projectRoot, type ProxyProcess } from '../../support/proxy-process.ts';
import { openProxyUi, type ProxyUi } from './proxy-ui.ts';

const artifacts = join(projectRoot, 'test-artifacts', 'inspector');
const rule = 'break on balances';
const armed = 'break on service:billing op:balance at request';

describe('breakpoints in the inspector, with the proxy pausing', () => {
  let ui: ProxyUi;
  let proxy: ProxyProcess;
  let page: Page;
  let base: URL;
  let token: string;
  let pageErrors: string[];

  /** A billing balance call encoded and its answer decoded by protobufjs, not by our codec. */
  const balance = async (trx: Buffer) => {
    const body = ClientRequest.encode(ClientRequest.fromObject({ trx, token, billing: { balance: {} } })).finish();
    const res = await fetch(new URL('/exec', base), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, json: ServerResponse.toObject(ServerResponse.decode(bytes), { longs: String, enums: String, bytes: String }) as Record<string, any> };
  };
  const pausedNow = async () => (await (await proxy.api('/api/paused')).json()) as PausedView[];
  const rulesNow = async () => (await (await proxy.api('/api/rules')).json()) as RuleView[];
  const badge = () => page.locator('.paused-button .paused-count');
  const panel = () => page.locator('[role="dialog"][aria-label="Paused"]');

  before(async () => {
    await buildUi();
    await mkdir(artifacts, { recursive: true });
    const db = tempDb();
    const rules = join(dirname(db), 'rules.yaml');
    writeFileSync(rules, `- name: ${rule}\n  at: response\n  match: service:billing op:balance\n  break: true\n`);
    // No timeout: a pause waits for the test however slow the machine is.
    ui = await openProxyUi({ db, args: ['--rules', rules, '--break-timeout', '0'] });
    ({ proxy, page, base, token, pageErrors } = ui);
  });

  after(() => ui?.close());

  it('pauses a response in the Paused panel, edits a field there and continues it; the client decodes the edit', async () => {
    await badge().filter({ hasText: /^0$/ }).waitFor();
    const call = balance(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    await badge().filter({ hasText: /^1$/ }).waitFor();
    const [pause] = await pausedNow();
    assert.equal(pause?.call, 'billing.balance');

    await page.click('.paused-button');
    const item = panel().locator(`li[data-pause="${pause!.id}"]`);
    await item.waitFor();
    const itemText = (await item.textContent()) ?? '';
    for (const part of ['billing.balance', 'response', `rule ${rule}`, `exchange #${pause!.exchangeId}`, 'waits until decided']) assert.ok(itemText.includes(part), `"${part}" in "${itemText}"`);

    // The exchange link selects the paused exchange in the list.
    await item.locator('button.paused-exchange').click();
    await page.waitForSelector(`[data-row="${pause!.exchangeId}"][aria-selected="true"]`);
    assert.equal(await panel().count(), 0, 'the panel closed to show it');
    await page.click('.paused-button');

    const editor = panel().locator('textarea.replay-json');
    assert.deepEqual(JSON.parse(await editor.inputValue()), pause!.message.json, 'the editor starts from the paused response, decoded');
    const shown = structuredClone(pause!.message.json) as Record<string, any>;
    const withEdits = panel().getByRole('button', { name: 'Continue with edits' });
    assert.ok(await withEdits.isDisabled(), 'nothing edited yet');
    await editor.fill('{"billing": ');
    await panel().locator('.replay-invalid', { hasText: 'Not JSON yet' }).waitFor();
    assert.ok(await withEdits.isDisabled(), 'not JSON');

    const balances = shown.billing.balance.balances as { amount: string | number }[];
    assert.ok(balances.length > 0, JSON.stringify(shown));
    // Checked against the schema as typed, as the proxy will encode it: the sentence names the field, and nothing can go.
    balances[0]!.amount = 'lots';
    await editor.fill(JSON.stringify(shown, null, 2));
    await panel().locator('.replay-invalid[data-check="unfit"]', { hasText: 'billing.balance.balances[0].amount: expected a 64-bit integer' }).waitFor();
    assert.ok(await withEdits.isDisabled(), 'an int64 given as a word');
    balances[0]!.amount = '424242';
    await editor.fill(JSON.stringify(shown, null, 2));
    await panel().locator('.replay-check[data-check="fits"]', { hasText: 'Fits ServerResponse' }).waitFor();
    assert.ok(await withEdits.isEnabled(), 'fixed');
    await page.screenshot({ path: join(artifacts, 'breakpoints-paused-panel.png') });
    await withEdits.click();

    const answer = await call;
    assert.equal(answer.status, 200);
    assert.equal(answer.json.billing.balance.balances[0].amount, '424242', 'the client decodes the edited amount');
    assert.equal(answer.json.trx, Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64'));
    await badge().filter({ hasText: /^0$/ }).waitFor();
    await panel().locator('.empty-note', { hasText: 'Nothing is paused' }).waitFor();
    assert.deepEqual(await pausedNow(), []);

    // The detail pane shows the edit as the rule's change, the field marked.
    await page.keyboard.press('Escape');
    await page.click(`[data-row="${pause!.exchangeId}"]`);
    await page.waitForSelector(`.rule-changes h3:has-text("${rule}")`);
    await page.waitForSelector('.rule-change[data-what="response"] .diff-list li.diff-changed:has-text("amount")');
    await page.waitForSelector('.rule-changes h3:has-text("response edited at breakpoint")');
    await page.waitForSelector('.rule-change[data-what="response"] p:has-text("(edited at breakpoint)")');
    assert.deepEqual(pageErrors, []);
  });

  it('arms a breakpoint on the open call with b, answers the paused request in the upstream\'s place, and removes it in the Rules panel', async () => {
    const listed = (await (await proxy.api(`/api/exchanges?filter=${encodeURIComponent('service:billing op:balance')}`)).json()) as ExchangePage;
    const open = listed.items[0]!;
    await page.click(`[data-row="${open.id}"]`);
    await page.waitForSelector('.detail-pane');
    await page.keyboard.press('b');
    await page.locator('.toast', { hasText: `Armed "${armed}"` }).waitFor();
    assert.deepEqual((await rulesNow()).find((r) => r.name === armed), { name: armed, at: 'request', match: 'service:billing op:balance', enabled: true, hits: 0, added: true });
    await page.keyboard.press('?');
    await page.locator('[role="dialog"][aria-label="Keyboard shortcuts"]', { hasText: "break on the open exchange's service.operation" }).waitFor();
    await page.keyboard.press('Escape');

    const trx = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
    const call = balance(trx);
    await badge().filter({ hasText: /^1$/ }).waitFor();
    await page.click('.paused-button');
    await panel().locator('li[data-pause]', { hasText: 'request' }).waitFor();
    await panel().getByRole('button', { name: 'Answer instead' }).click();
    const editor = panel().locator('textarea.replay-json');
    const draft = JSON.parse(await editor.inputValue());
    assert.deepEqual(draft, { trx: trx.toString('base64') }, 'an empty ServerResponse with the trx echoed');
    const answerButton = panel().getByRole('button', { name: 'Answer', exact: true });
    await editor.fill(JSON.stringify({ ...draft, errors: ['SE_RATE_LIMITED'] }));
    await panel().locator('.replay-invalid[data-check="unfit"]', { hasText: 'errors[0]: "SE_RATE_LIMITED" is not a value of this enum' }).waitFor();
    assert.ok(await answerButton.isDisabled(), 'an enum name that does not exist');
    await editor.fill(JSON.stringify({ ...draft, errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] }));
    await answerButton.click();

    const answer = await call;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal(answer.json.trx, trx.toString('base64'));
    assert.equal(answer.json.billing, undefined, 'answered, never sent upstream');
    await badge().filter({ hasText: /^0$/ }).waitFor();
    await page.keyboard.press('Escape');

    await page.click('.rules-button');
    const row = page.locator(`[role="dialog"][aria-label="Rules"] tr[data-rule="${armed}"]`);
    await row.waitFor();
    assert.equal(await page.locator(`tr[data-rule="${rule}"] .rule-remove`).count(), 0, "a file's rule cannot be removed here");
    await row.locator('.rule-remove').click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await rulesNow()).map((r) => r.name), [rule]);
    await page.keyboard.press('Escape');
    assert.deepEqual(pageErrors, []);
  });

  it('arms one with Break on…, shows a refused abort\'s sentence, and aborts with a status', async () => {
    await page.click('.break-button');
    const dialog = page.locator('[role="dialog"][aria-label="Break on"]');
    const filter = dialog.locator('input.break-filter');
    await filter.fill('path:/health (');
    await dialog.locator('.filter-error').waitFor();
    assert.ok(await dialog.getByRole('button', { name: 'Arm' }).isDisabled());
    await filter.fill('path:/health');
    await dialog.locator('.break-name', { hasText: 'break on path:/health at request' }).waitFor();
    await dialog.getByRole('button', { name: 'Arm' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok((await rulesNow()).some((r) => r.name === 'break on path:/health at request' && r.added));

    const call = fetch(new URL('/health', base));
    await badge().filter({ hasText: /^1$/ }).waitFor();
    await page.click('.paused-button');
    await panel().locator('li[data-pause]', { hasText: 'GET /health' }).waitFor();
    await panel().getByLabel('How to abort').selectOption('status');
    await panel().getByLabel('Status').fill('99');
    await panel().getByRole('button', { name: 'Abort' }).click();
    await panel().locator('.banner.error', { hasText: 'abort.status must be an HTTP status from 200 to 599' }).waitFor();
    assert.equal((await pausedNow()).length, 1, 'still paused');
    await panel().getByLabel('Status').fill('418');
    await panel().getByRole('button', { name: 'Abort' }).click();
    assert.equal((await call).status, 418);
    await badge().filter({ hasText: /^0$/ }).waitFor();
    await page.keyboard.press('Escape');
    await panel().waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
  });

  it('breaks on a WebSocket\'s server frames, injects a frame to the client while one is paused, and closes the connection with a code', async () => {
    await page.click('.break-button');
    const dialog = page.locator('[role="dialog"][aria-label="Break on"]');
    await dialog.locator('select.break-point').selectOption('ws:server');
    await dialog.locator('.break-name', { hasText: 'break on every message at ws:server' }).waitFor();
    await dialog.getByRole('button', { name: 'Arm' }).click();
    await dialog.waitFor({ state: 'detached' });

    const socket = new WebSocket(`ws://${base.host}/ws`);
    const received: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => received.push(WsEvent.toObject(WsEvent.decode(new Uint8Array(data)), { enums: String })));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(encodeMessage('ca2.WsAuth', { token }));

    await badge().filter({ hasText: /^1$/ }).waitFor();
    await page.click('.paused-button');
    await panel().locator('li[data-pause]', { hasText: 'ws:server' }).waitFor();
    await panel().getByRole('button', { name: 'Inject a frame' }).click();
    assert.equal(await panel().locator('select.inject-from').inputValue(), 'server', 'towards the client, like the paused frame');
    const injectButton = panel().getByRole('button', { name: 'Inject', exact: true });
    await panel().locator('textarea.replay-json').fill('{"eror": ["SE_RATE_LIMIT_EXCEEDED_ERROR"]}');
    await panel().locator('.replay-invalid[data-check="unfit"]', { hasText: 'eror: no field named "eror" in ca2.WsEvent' }).waitFor();
    assert.ok(await injectButton.isDisabled(), 'a field name the schema does not have');
    await panel().locator('textarea.replay-json').fill('{"errors": ["SE_RATE_LIMIT_EXCEEDED_ERROR"]}');
    await injectButton.click();
    await eventually(() => (received.length > 0 ? true : undefined), 'the injected frame at the client');
    assert.deepEqual(received, [{ errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] }], 'the injected frame, decoded by protobufjs; the paused one still held');
    assert.equal((await pausedNow()).length, 1, 'the paused frame stays paused');

    await panel().getByLabel('How to abort').selectOption('close');
    await panel().getByLabel('Close code').fill('4001');
    await panel().getByLabel('Close reason').fill('bye');
    await panel().getByRole('button', { name: 'Abort' }).click();
    assert.deepEqual(await closed, { code: 4001, reason: 'bye' });
    assert.equal(received.length, 1, 'the paused frame never went');
    await badge().filter({ hasText: /^0$/ }).waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
