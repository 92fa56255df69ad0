import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

interface Assets {
  css: string;
  js: string;
}

let assets: Assets | undefined;

/** The run view's stylesheet and script (web/: the chart kit, then the view that uses it), read once. */
function loadAssets(): Assets {
  const dir = join(packageRoot(), 'web');
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  assets ??= { css: read('run-view.css'), js: `${read('view-kit.js')}\n${read('run-view.js')}` };
  return assets;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * One self-contained HTML page of the run view: the live dashboard when `data` is absent
 * (the script polls api/run beside the page), the run report when it is given (embedded,
 * no network at all). Everything is inline, so the policy allows exactly these inline
 * blocks by hash and nothing from anywhere else (the dashboard may fetch its own origin).
 */
export function runPage(data?: unknown): string {
  const { css, js } = loadAssets();
  const embedded = data === undefined ? '' : `<script type="application/json" id="run-data">${scriptSafeJson(data)}</script>\n`;
  const policy = [
    "default-src 'none'",
    `style-src ${sha256(css)}`,
    `script-src ${sha256(js)}`,
    `connect-src ${data === undefined ? "'self'" : "'none'"}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<title>otel-replayd</title>
<style>${css}</style>
</head>
<body>
<header><h1>otel-replayd</h1><span id="status" class="badge">${data === undefined ? 'connecting' : 'report'}</span><span id="run-meta" class="meta"></span></header>
<main id="app"><p class="muted">${data === undefined ? 'Waiting for the first sample\u2026' : 'This report needs JavaScript to draw its charts.'}</p></main>
${embedded}<script>${js}</script>
</body>
</html>
`;
}

/** JSON that cannot end the script element it sits in (`</script>`, `<!--`) nor break a JS line (U+2028/9). */
export function scriptSafeJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
