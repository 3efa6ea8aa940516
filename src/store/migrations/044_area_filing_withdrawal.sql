-- 异地就医备案 withdrawn as a record of its own (issue #20 item 2): a filing is never changed; a
-- withdrawal is a new row naming the filing it ends (withdraws) from its valid_from on, sent to the
-- treating area like the filing (either may arrive first). filed_by: who filed it in the insured area.
-- (yibao_app has no UPDATE or DELETE on it since 032; the trigger holds the owner to it too.)
ALTER TABLE area_filing ADD COLUMN withdraws text;
ALTER TABLE area_filing ADD COLUMN filed_by text;
CREATE UNIQUE INDEX area_filing_withdrawal ON area_filing (withdraws) WHERE withdraws IS NOT NULL;
CREATE TRIGGER area_filing_append_only BEFORE UPDATE OR DELETE ON area_filing FOR EACH ROW EXECUTE FUNCTION refuse_change();
