/** GET /fhir/r4/metadata: the server's CapabilityStatement (FHIR R4 4.0.1) — what it reads and searches. */
import { BASE, ID_NUMBER_SYSTEM, PERSON_SYSTEM } from './fhir-service.js';

export function capabilityStatement(now = new Date()) {
  return {
    resourceType: 'CapabilityStatement',
    id: 'yibao',
    url: `${BASE}/r4/metadata`,
    name: 'YibaoFhirServer',
    title: '城乡居民基本医疗保险 FHIR R4 接口',
    status: 'active',
    date: now.toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: 'yibao' },
    implementation: { description: 'Urban-rural resident basic medical insurance: patients, coverage by tier of protection, explanations of benefit', url: `${BASE}/r4` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: { cors: false, description: 'Authorization: Bearer <token> (an API token); every resource needs the settlement.read permission; a hospital sees only its own patients' },
        resource: [
          {
            type: 'Patient',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [{ name: 'identifier', type: 'token', documentation: `[system|]value: the resident ID number (${ID_NUMBER_SYSTEM}) or the record id (${PERSON_SYSTEM})` }],
          },
          {
            type: 'Coverage',
            interaction: [{ code: 'search-type' }],
            searchParam: [
              { name: 'beneficiary', type: 'reference', documentation: 'Patient/{id} (required)' },
              { name: 'year', type: 'number', documentation: 'the coverage year; without it, the current year' },
            ],
          },
          { type: 'ExplanationOfBenefit', interaction: [{ code: 'read' }], documentation: 'by settlement id' },
        ],
      },
    ],
  };
}
