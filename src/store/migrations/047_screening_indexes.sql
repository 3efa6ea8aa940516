-- Issue #18: the indexes a full screening run reads instead of hashing every fee line.
--
-- 1. fsi_fee (line_key) and (day_key, cnt), the live lines only: the run finds the keys that can
--    hit FR04 (a line_key on at least minRepeats live lines) and FR05 (a day_key whose live lines'
--    positive quantities pass the daily limit) by one streaming group over each index (an
--    index-only scan in key order, no hash table of every line), and then reads only those keys'
--    lines. Every line of a group FR04/FR05 looks at shares its group's key, so these keys are a
--    superset of the hits; the rules then group the lines on the fields themselves.
-- 2. fsi_fee (med_list_codg text_pattern_ops), the live lines: the lines of the items FR06/FR07
--    name by code prefix (dialysis, consumables), found by prefix range.
CREATE INDEX fsi_fee_screen_line ON fsi_fee (line_key) WHERE cancelled_at IS NULL;
CREATE INDEX fsi_fee_screen_day ON fsi_fee (day_key, cnt) WHERE cancelled_at IS NULL;
CREATE INDEX fsi_fee_screen_item ON fsi_fee (med_list_codg text_pattern_ops) WHERE cancelled_at IS NULL;
