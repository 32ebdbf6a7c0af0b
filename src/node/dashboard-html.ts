/** The dashboard page; filled in below. */
export const NONCE_PLACEHOLDER = '__NONCE__';
export const DASHBOARD_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>quotamesh</title></head><body><p>quotamesh</p></body></html>`;
