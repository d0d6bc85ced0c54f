// The one JSON body parser of the inspector's POST routes. An edited message (Edit and
// resend, a paused message continued with edits or answered) can be as large as what was
// recorded: express's default of 100 kB refused a paused 300 kB response. This leaves room
// for a large one without inviting abuse.

import express from 'express';

export const JSON_BODY_LIMIT = '20mb';

export const jsonBody = express.json({ limit: JSON_BODY_LIMIT });
