// Copies the non-TypeScript files the services load at run time (Lua scripts,
// SQL migrations) next to their compiled modules in dist/.
import { cpSync } from 'node:fs';

for (const dir of ['shared/redis/lua', 'shared/db/migrations']) {
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
