// tests/spec/validate.mjs - validates docs/openapi.yaml with
// @apidevtools/swagger-parser (OpenAPI 3 schema and $ref resolution).
// Usage: node validate.mjs PATH
import SwaggerParser from '@apidevtools/swagger-parser';

const path = process.argv[2];
try {
  const api = await SwaggerParser.validate(path);
  const ops = Object.values(api.paths).reduce(
    (n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
  console.log(`swagger-parser: ${path} is valid OpenAPI ${api.openapi} (${ops} operations)`);
} catch (err) {
  console.error(`swagger-parser: ${path} is not valid: ${err.message}`);
  process.exit(1);
}
