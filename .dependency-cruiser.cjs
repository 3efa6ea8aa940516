/**
 * The layering, checked by `npm run check:deps` (part of `npm test`): no import cycle, and no
 * import from a lower layer to a higher one. A layer may import its own folder and any layer
 * below it. The domain rooms are ordered as the year's work builds on itself: access control is
 * below everything that checks a caller; the ledger and the registers are below the campaign
 * that posts payments for registered persons; settlement is above the campaign (it reads
 * enrollments); the hospitals' interfaces (the platform envelope, FHIR) drive settlement.
 */
const LAYERS = [
  ['base', '^src/(errors|money|dates|sheets|request-input)\\.ts$'],
  ['policy', '^src/policy/'],
  ['rules', '^src/rules/'],
  ['quotes', '^src/quotes/'],
  ['store', '^src/store/'],
  ['access', '^src/access/'],
  ['ledger', '^src/ledger/'],
  ['registers', '^src/registers/'],
  ['campaign', '^src/campaign/'],
  ['settlement', '^src/settlement/'],
  ['hospitals', '^src/hospitals/'],
  ['monitoring', '^src/monitoring/'],
  ['fund', '^src/fund/'],
  ['risk', '^src/risk/'],
  ['drg', '^src/drg/'],
  ['areas', '^src/areas/'],
  ['sim', '^src/sim/'],
  ['http', '^src/http/'],
  ['cli', '^src/cli/'],
  ['main', '^src/main\\.ts$'],
];
/** Layers of the same rank may not import each other either (siblings stay independent). */
const RANK = { base: 0, policy: 1, rules: 2, quotes: 3, store: 3, access: 4, ledger: 5, registers: 5, campaign: 6, settlement: 7, hospitals: 8, monitoring: 9, fund: 9, risk: 9, drg: 9, areas: 10, sim: 11, http: 12, cli: 13, main: 14 };

const forbidden = [
  { name: 'no-circular', severity: 'error', comment: 'an import cycle', from: {}, to: { circular: true } },
  {
    name: 'rules-are-pure',
    severity: 'error',
    comment: 'src/rules is pure computation: no I/O, no node core modules',
    from: { path: '^src/rules/' },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'src-not-from-tests',
    severity: 'error',
    comment: 'the product never imports tests or benchmarks',
    from: { path: '^src/' },
    to: { path: '^(test|bench)/' },
  },
];
for (const [name, path] of LAYERS) {
  const above = LAYERS.filter(([n]) => n !== name && RANK[n] >= RANK[name]).map(([, p]) => `(${p})`);
  if (above.length) forbidden.push({ name: `layer-${name}`, severity: 'error', comment: `${name} may not import a layer above it (or a sibling of its rank)`, from: { path }, to: { path: above.join('|') } });
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
