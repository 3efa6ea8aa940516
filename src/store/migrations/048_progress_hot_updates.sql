-- The progress sums' tables, updated in place (issue #14: a county's progress as of any date < 200 ms).
--
-- progress_rollup (migration 020), progress_half_month and progress_half_month_statuses
-- (migration 040) are written by the triggers' upserts: every payment statement adds its deltas
-- to rows that already exist, so each row is updated again and again (a half-month row by every
-- statement that pays someone of its village in its half-month). No index holds an updated
-- column (only the key columns are indexed), so each of those updates could be a HOT update —
-- the new row version on the same page, no new index entries, the old one pruned from the page
-- once no transaction can see it — but at the default fillfactor (100) the pages are full, so
-- every update put its version on another page and left a dead one behind: a server without
-- autovacuum never hands that space back, and the 1 M-person bench's progress_half_month grew
-- to 8 109 pages for 15 234 rows (~27×; 269 pages when compacted), which the county's figures
-- read in full. And the rollup's rows of one day, which a date inside a half-month reads (its
-- own days), were scattered over 7 157 pages for 14 000 rows.
--
-- Half of each page is left free for the new versions of its own rows, and the three tables are
-- rewritten once, compacted: the rollup in (year, kind, day) order (a date's own days lie
-- together, as new days' rows, which come in date order, will), the half-months in key order.
-- CLUSTER keeps the tables' privileges (yibao_app's grants of migrations 020/040 stay as they
-- are); it locks each table for the rewrite (about a second for a county of 1 M persons).

ALTER TABLE progress_rollup SET (fillfactor = 50);
ALTER TABLE progress_half_month SET (fillfactor = 50);
ALTER TABLE progress_half_month_statuses SET (fillfactor = 50);

CLUSTER progress_rollup USING progress_rollup_kind_day;
CLUSTER progress_half_month USING progress_half_month_pkey;
CLUSTER progress_half_month_statuses USING progress_half_month_statuses_pkey;

ANALYZE progress_rollup;
ANALYZE progress_half_month;
ANALYZE progress_half_month_statuses;
