/** The system-of-record route modules, registered when the server has a database. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { sessionRoutes } from './session.js';
import { campaignRoutes } from './campaign.js';
import { settlementRoutes } from './settlement.js';
import { ledgerRoutes } from './ledger.js';
import { registersRoutes } from './registers.js';
import { fsiRoutes } from '../fsi/routes.js';
import { fhirRoutes } from '../fhir/routes.js';
import { hospitalRoutes } from './hospitals.js';
import { paymentImportRoutes } from './payment-imports.js';
import { monitoringRoutes } from './monitoring.js';
import { drgRoutes } from './drg.js';
import { catalogueRoutes } from './catalogue.js';
import { riskScreeningRoutes } from './risk-screening.js';
import { projectionRoutes } from './projection.js';
import { fundRoutes } from './fund.js';
import { simRunRoutes } from './sim-runs.js';
import { assistanceRoutes } from './assistance.js';
import { riskWarningRoutes } from './risk-warnings.js';
import { areasRoutes } from './areas.js';

export type RouteModule = (app: FastifyInstance, ctx: AppContext) => Promise<void>;

export const RECORD_ROUTES: RouteModule[] = [sessionRoutes, settlementRoutes, ledgerRoutes, campaignRoutes, registersRoutes, fsiRoutes, fhirRoutes, hospitalRoutes, paymentImportRoutes, monitoringRoutes, drgRoutes, catalogueRoutes, riskScreeningRoutes, projectionRoutes, fundRoutes, simRunRoutes, assistanceRoutes, areasRoutes, riskWarningRoutes];

