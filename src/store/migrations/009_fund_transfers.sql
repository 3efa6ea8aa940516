-- Money coming into the two funds that settlements and assistance draw on, which nothing else
-- credits: the allocation of the basic medical-insurance fund to 大病保险 (Dr basic_fund /
-- Cr critical_illness_fund), and fiscal appropriations to the medical-assistance fund, owed by
-- the treasury until received (Dr medical_assistance_appropriation_receivable /
-- Cr medical_assistance_fund). One row per transfer, idempotent by its reference, append-only;
-- its journal entry has source 'fund_transfer' and source_id the transfer's id.

INSERT INTO account (code, name, kind) VALUES
  ('medical_assistance_appropriation_receivable', '应收医疗救助财政资金', 'asset');

CREATE TABLE fund_transfer (
  id            bigserial PRIMARY KEY,
  reference     text NOT NULL UNIQUE,          -- the transfer's document number: the same reference twice is one transfer
  kind          text NOT NULL CHECK (kind IN ('critical_illness_allocation', 'medical_assistance_appropriation')),
  coverage_year int NOT NULL,
  amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
  memo          text,
  entry_id      bigint NOT NULL REFERENCES journal_entry (id),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fund_transfer_year ON fund_transfer (coverage_year, kind);
CREATE TRIGGER fund_transfer_append_only BEFORE UPDATE OR DELETE ON fund_transfer FOR EACH ROW EXECUTE FUNCTION refuse_change();
