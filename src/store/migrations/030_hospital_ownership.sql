-- Hospital ownership (issue #19 item 4): 鲁医保发〔2022〕24号 五 measures the share of
-- secondary-and-above *public* hospitals paid by DRG/DIP, so a hospital records whether it is
-- public (公立) or private (民营). Null: not recorded yet (hospitals registered before this
-- column); the metrics count those apart instead of guessing.
ALTER TABLE hospital ADD COLUMN ownership text CHECK (ownership IN ('public', 'private'));
-- the service records it (PUT /api/v1/hospitals/:code/ownership, audited): that column only
GRANT UPDATE (ownership) ON hospital TO yibao_app;
