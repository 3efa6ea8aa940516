import { openDatabase } from './src/store/db.ts';
import { QuoteService } from './src/services/quote-service.ts';
import { seedDemo } from './src/sim/seed-demo.ts';
const d = await openDatabase({ url: '', dataDir: 'memory://' });
const q = QuoteService.load();
let last = '';
const s = await seedDemo(d, q, { people: Number(process.env.N ?? 2000), onProgress: (st, a, b) => { if (st !== last) { console.log(st, a, b, performance.now() | 0); last = st; } } });
console.log(s.persons, s.enrollments, s.payments, s.paymentProblems, s.encounters, s.settlements, s.seconds);
await d.close();
