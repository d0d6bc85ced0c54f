/** Where the proxy records, and where the other commands read, unless --db says otherwise. */
export const DEFAULT_DB = 'ca2-inspector.sqlite';
