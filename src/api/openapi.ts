/** /openapi.json, generated from the route table and the same WSME types that decode requests. */
import type { Router } from './router.js';
import { toJsonSchema } from './v2/wire/wsme.js';

export function openApiDocument(router: Router, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const { spec, paths: mounted } of router.routes) {
    for (const p of mounted) {
      const path = p.replace(/:([A-Za-z_]+)/g, '{$1}');
      const params = [...p.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const op: Record<string, unknown> = {
        summary: spec.summary,
        ...(params.length > 0 ? { parameters: params } : {}),
        responses: { default: { description: 'See the Octavia v2 API reference' } },
      };
      if (spec.body) {
        schemas[spec.body.type.name] = toJsonSchema(spec.body.type);
        op['requestBody'] = {
          required: true,
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${spec.body.type.name}` } } },
        };
      }
      (paths[path] ??= {})[spec.method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Octavius load balancer API (OpenStack Octavia v2 compatible)', version },
    paths,
    components: { schemas },
  };
}
