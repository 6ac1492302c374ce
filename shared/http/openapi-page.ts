/**
 * `GET /api/docs`: the OpenAPI document as one page to read (FastAPI serves Swagger UI there for
 * DiracX). Written here rather than Swagger UI or Redoc because those load their scripts from a
 * CDN or need ~1 MB of assets bundled into the Lambda; this page is plain HTML built from the
 * document, has no script at all, and works offline and under a strict Content-Security-Policy.
 */
import type { OpenApiDocument } from '#shared/http/openapi.ts';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

interface Operation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly 'x-muon-callers': readonly string[];
  readonly parameters?: readonly {
    name: string;
    in: string;
    required: boolean;
    description?: string;
    schema: unknown;
  }[];
  readonly requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

const schemaBlock = (label: string, schema: unknown) =>
  `<details><summary>${escapeHtml(label)}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;

function renderOperation(method: string, path: string, op: Operation): string {
  const parts = [
    `<section id="${escapeHtml(op.operationId)}">`,
    `<h3><code class="m">${method.toUpperCase()}</code> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${escapeHtml(op.summary)}</p>`,
    op.description ? `<p>${escapeHtml(op.description)}</p>` : '',
    `<p class="who">Callers: ${op['x-muon-callers'].map(escape).join(', ')}</p>`,
  ];
  if (op.parameters?.length) {
    const rows = op.parameters.map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td>` +
        `<td>${escapeHtml(p.description ?? '')}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td></tr>`,
    );
    parts.push(
      `<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Meaning</th><th>Schema</th></tr>${rows.join('')}</table>`,
    );
  }
  if (op.requestBody) {
    const [type, body] = Object.entries(op.requestBody.content)[0] ?? [];
    parts.push(
      schemaBlock(`Request body (${type}${op.requestBody.required ? '' : ', optional'})`, body?.schema),
    );
  }
  const answers = Object.entries(op.responses).map(([status, r]) => {
    const content = r.content ? Object.values(r.content)[0] : undefined;
    const schema = content && Number(status) < 400 ? schemaBlock('Schema', content.schema) : '';
    return `<li><b>${status}</b> ${escapeHtml(r.description)}${schema}</li>`;
  });
  parts.push(`<ul class="answers">${answers.join('')}</ul>`, '</section>');
  return parts.join('\n');
}

export function renderDocsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description: string };
  const byTag = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(methods)) {
      const op = value as Operation;
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op)]);
      toc.set(tag, [
        ...(toc.get(tag) ?? []),
        `<li><a href="#${escapeHtml(op.operationId)}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> ${escapeHtml(op.summary)}</li>`,
      ]);
    }
  }
  const tags = [...byTag.keys()].sort();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)} API ${escapeHtml(info.version)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
section{border-top:1px solid #ccc;padding:.5rem 0} code.m{font-weight:bold}
table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.85rem} .who{color:#555}
</style></head><body>
<h1>${escapeHtml(info.title)} API <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(String(document.openapi))}).
Errors answer <code>{"detail": ...}</code>.</p>
<nav>${tags.map((tag) => `<h4>${escapeHtml(tag)}</h4><ul>${(toc.get(tag) ?? []).join('')}</ul>`).join('')}</nav>
${tags.map((tag) => `<h2>${escapeHtml(tag)}</h2>\n${(byTag.get(tag) ?? []).join('\n')}`).join('\n')}
</body></html>
`;
}
