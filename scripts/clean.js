// Removes build output before a build so stale files never ship (no rimraf dependency needed).
const fs = require('fs');
for (const dir of process.argv.slice(2)) fs.rmSync(dir, { recursive: true, force: true });
