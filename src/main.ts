/** `npm start`: the service on embedded defaults (src/cli/serve.ts). */
import { runService } from './cli/serve.js';

await runService();
